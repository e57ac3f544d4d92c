"""The aws backend does nothing without the opt-in, and the CLI says so with exit 2."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from harness.backends import create_backend
from harness.backends.aws import OPT_IN, PREFIX_ENV, AwsOptInRequired
from harness.cli.main import cli


def test_no_opt_in_no_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(OPT_IN, raising=False)
    monkeypatch.setenv(PREFIX_ENV, "sh-run42-")
    with pytest.raises(AwsOptInRequired, match=OPT_IN):
        create_backend("aws")


@pytest.mark.parametrize("prefix", [None, "sh-", "Sh-Run42-", "sh-run42"])
def test_the_opt_in_needs_a_prefix_unique_to_the_run(monkeypatch: pytest.MonkeyPatch, prefix: str | None) -> None:
    monkeypatch.setenv(OPT_IN, "1")
    monkeypatch.delenv(PREFIX_ENV, raising=False)
    with pytest.raises(AwsOptInRequired, match=PREFIX_ENV):
        create_backend("aws", prefix=prefix)


def test_with_the_opt_in_the_backend_insists_on_the_run_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(OPT_IN, "1")
    monkeypatch.setenv(PREFIX_ENV, "sh-run42-")
    backend = create_backend("aws", region="eu-west-1")
    assert backend.run_prefix == "sh-run42-" and backend.region == "eu-west-1"
    assert not backend.capabilities.owns_resources and backend.capabilities.keeps_tags("dynamodb")


@pytest.mark.parametrize("command", [["run", "ip-dedup"], ["run", "order-aggregator"]])
def test_cli_exits_2_naming_the_opt_in(monkeypatch: pytest.MonkeyPatch, command: list[str]) -> None:
    monkeypatch.delenv(OPT_IN, raising=False)
    result = CliRunner().invoke(cli, [*command, "--backend", "aws"])
    assert result.exit_code == 2
    assert OPT_IN in result.output and PREFIX_ENV in result.output


def test_cli_refuses_an_endpoint_for_other_backends() -> None:
    result = CliRunner().invoke(cli, ["run", "ip-dedup", "--backend", "embedded", "--endpoint", "http://127.0.0.1:1"])
    assert result.exit_code == 2 and "--endpoint is for --backend localstack" in result.output


def test_backend_is_a_choice_of_the_registry() -> None:
    result = CliRunner().invoke(cli, ["run", "ip-dedup", "--backend", "nope"])
    assert result.exit_code == 2 and "'aws', 'embedded', 'localstack'" in result.output
