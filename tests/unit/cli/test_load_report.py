"""The HTML report of ``harness load``: one self-contained page whose plots and checks a browser shows.

Rendered in headless Chromium (Debian's ``chromium``): the DOM it builds must hold the four plots and
the checks with expected vs actual, and the screenshot must not be blank.
"""
from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest

from harness.cli.load_report import write_html
from harness.oracles.checks import Check
from harness.scenario import Report

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]
PLOTS = ("Throughput over time", "Write -&gt; handler latency", "Batch sizes delivered",
         "Retries and dead letters over time")


def _report() -> tuple[Report, dict[str, Any]]:
    checks = (Check("per_ip_alternation", True, {"bad_sequences": 0}, {"bad_sequences": 0}, "12 IPs"),
              Check("threshold events_per_s", False, ">= 500", 412.5, ""))
    report = Report(scenario="ip-dedup", variant="detector", backend="embedded", seed=7, checks=checks,
                    summary={"writes_accepted": 900}, timings={"events_per_s": 412.5})
    n = 12
    extra = {
        "load": {"users": 4, "workers": 1, "requests": 900, "failures": 0, "rps": 75.0, "p50_ms": 4.0,
                 "p99_ms": 30.0},
        "pipeline": {"records_seen": 1500, "latency_ms": {"count": 300, "p50": 8.0, "p95": 20.0, "p99": 35.0}},
        "thresholds": [{"name": "events_per_s", "bound": 500, "floor": True, "value": 412.5, "passed": False}],
        "series": {"t0": 0.0, "writes_accepted": [80.0] * n, "stream_records_read": [120.0] * n,
                   "invocations": [30.0] * n, "bus_events": [0.0] * n, "retries": [0.0] * (n - 1) + [2.0],
                   "dead_letters": [0.0] * n, "batch_sizes": [1, 2, 2, 3, 5, 8, 8, 8]},
        "latencies_ms": [float(x % 40) for x in range(300)],
    }
    return report, extra


def test_the_page_stands_alone_with_its_plots_and_checks(tmp_path: Path) -> None:
    report, extra = _report()
    page = tmp_path / "r.html"
    write_html(report, extra, str(page))
    text = page.read_text()
    assert text.count("<svg") == 4 and all(title in text for title in PLOTS)
    assert "<link" not in text and "src=" not in text and "<script" not in text  # nothing fetched from anywhere
    assert "threshold events_per_s" in text and "412.5" in text and "FAILED" in text


@pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium is not installed (apt-get install chromium)")
def test_headless_chromium_renders_the_plots_and_the_checks(tmp_path: Path) -> None:
    from PIL import Image, ImageStat  # pillow: a matplotlib dependency

    report, extra = _report()
    page = tmp_path / "r.html"
    write_html(report, extra, str(page))
    with tempfile.TemporaryDirectory() as profile:
        dom = subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "--dump-dom", page.as_uri()],
                             capture_output=True, text=True, timeout=120).stdout
    assert dom.count("<svg") == 4, "the browser's DOM lacks the plots"
    assert all(title in dom for title in PLOTS)
    rows = dom[dom.index('id="checks"'):]
    assert "per_ip_alternation" in rows and "threshold events_per_s" in rows and "&gt;= 500" in rows
    shot = tmp_path / "shot.png"
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", f"--screenshot={shot}",
                        "--window-size=1200,2400", page.as_uri()], capture_output=True, timeout=120)
    image = Image.open(shot).convert("L")
    assert max(ImageStat.Stat(image).stddev) > 10, "the screenshot is blank"
