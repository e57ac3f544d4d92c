"""The IP-dedup scenario end to end, and proof that its oracles catch a broken detector."""
from __future__ import annotations

import pytest

from streamharness.scenarios.ip_dedup.run import IpDedupConfig, run


@pytest.mark.parametrize("batch_size, window", [(100, 0), (7, 1)])
def test_ip_dedup_passes_with_the_exact_dedup_count(batch_size: int, window: int) -> None:
    report = run(IpDedupConfig(packets=1200, ips=150, slots=3, seed=11, batch_size=batch_size, window=window))
    failed = [c for c in report["checks_detail"] if not c["passed"]]
    assert report["passed"], failed
    assert report["checks"] == report["expected_checks"] > 0
    assert report["delivered_event_names"] == {"INSERT": report["expected_checks"]}
    records = report["stream_records"]
    assert records["INSERT"] == records["REMOVE"] == report["expected_checks"]
    assert records["INSERT"] + records["MODIFY"] == report["packets"]  # every packet is one INSERT or MODIFY
    assert report["alerts"] >= report["dangerous_ips_seen"] > 0


def test_a_detector_that_forgets_the_delete_fails_the_dedup_check() -> None:
    report = run(IpDedupConfig(packets=1200, ips=150, slots=3, seed=11, variant="forgets-delete"))
    by_name = {c["name"]: c for c in report["checks_detail"]}
    assert report["passed"] is False
    assert by_name["dedup_count"]["passed"] is False
    assert by_name["dedup_count"]["actual"] < by_name["dedup_count"]["expected"]
    assert by_name["per_ip_alternation"]["passed"] is False
    assert by_name["table_empty"]["passed"] is False
    assert by_name["insert_only"]["passed"] is True  # the filter still works: the bug is elsewhere
