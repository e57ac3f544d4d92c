"""The reports of ``harness load``: the terminal's (the scenario report plus a pipeline summary table)
and one self-contained HTML page with plots (matplotlib, rendered to inline SVG)."""
from __future__ import annotations

import html
import io
import json
from collections.abc import Mapping, Sequence
from typing import Any

from rich.console import Console
from rich.table import Table

from harness.cli.report import render
from harness.scenario import Report


def figure_rows(extra: Mapping[str, Any]) -> list[tuple[str, str]]:
    """One row per figure of the run: load, pipeline, latency, thresholds."""
    load, pipe = extra["load"], extra["pipeline"]
    lat = pipe["latency_ms"]
    rows = [("Locust users / workers", f"{load['users']} / {load['workers']}"),
            ("calls (failed)", f"{load['requests']} ({load['failures']})"),
            ("calls/s during the load", f"{load['rps']:.1f}"),
            ("call p50 / p99 ms", f"{load['p50_ms']} / {load['p99_ms']}"),
            ("stream records read", str(pipe["records_seen"])),
            ("write -> handler p50 / p99 ms", f"{lat.get('p50')} / {lat.get('p99')}")]
    rows += [(f"threshold {th['name']}", f"{th['value'] if th['value'] is None else round(th['value'], 3)} "
              f"({'>=' if th['floor'] else '<='} {th['bound']:g}) {'PASS' if th['passed'] else 'FAIL'}")
             for th in extra["thresholds"]]
    return rows


def pipeline_table(extra: Mapping[str, Any]) -> Table:
    t = Table(title="load run", title_justify="left")
    t.add_column("figure")
    t.add_column("value", justify="right")
    for name, value in figure_rows(extra):
        t.add_row(name, value)
    return t


def render_terminal(report: Report, extra: Mapping[str, Any], console: Console) -> None:
    console.print(pipeline_table(extra))
    render(report, console)


def _svg(fig: Any) -> str:
    """A matplotlib figure as inline SVG markup (no file, no network: the page stands alone)."""
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    text = buf.getvalue()
    return text[text.index("<svg"):]


def plots(extra: Mapping[str, Any]) -> dict[str, str]:
    """The report's figures, as SVG, by title."""
    import matplotlib

    matplotlib.use("Agg")  # no display: render to memory only
    import matplotlib.pyplot as plt

    s = extra["series"]
    out: dict[str, str] = {}
    seconds = list(range(len(s["stream_records_read"])))

    fig, ax = plt.subplots(figsize=(9, 3.6))
    for key, label in (("writes_accepted", "writes accepted (Locust)"), ("stream_records_read", "stream records read"),
                       ("invocations", "invocations"), ("bus_events", "bus events")):
        ax.plot(seconds, s[key][:len(seconds)] + [0.0] * (len(seconds) - len(s[key])), label=label)
    ax.set_xlabel("seconds since the load started")
    ax.set_ylabel("per second")
    ax.legend(loc="upper right", fontsize="small")
    ax.grid(alpha=0.3)
    out["Throughput over time"] = _svg(fig)
    plt.close(fig)

    lat: Sequence[float] = extra["latencies_ms"]
    fig, ax = plt.subplots(figsize=(9, 3.2))
    if lat:
        ax.hist(lat, bins=min(60, max(5, len(lat) // 5)), color="#4c72b0")
        for q, style in (("p50", "--"), ("p95", "-."), ("p99", ":")):
            v = extra["pipeline"]["latency_ms"].get(q)
            if v is not None:
                ax.axvline(v, color="black", linestyle=style, label=f"{q} {v:.1f} ms")
        ax.legend(fontsize="small")
    ax.set_xlabel("write -> handler start (ms)")
    ax.set_ylabel("records")
    out["Write -> handler latency"] = _svg(fig)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(9, 3.0))
    sizes = s["batch_sizes"]
    if sizes:
        ax.hist(sizes, bins=range(1, max(sizes) + 2), color="#55a868", align="left")
    ax.set_xlabel("records per invocation")
    ax.set_ylabel("invocations")
    out["Batch sizes delivered"] = _svg(fig)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(9, 3.0))
    ax.plot(seconds, s["retries"][:len(seconds)], label="retries")
    ax.plot(seconds, s["dead_letters"][:len(seconds)], label="given up / dead letters")
    ax.set_xlabel("seconds since the load started")
    ax.set_ylabel("per second")
    ax.legend(fontsize="small")
    ax.grid(alpha=0.3)
    out["Retries and dead letters over time"] = _svg(fig)
    plt.close(fig)
    return out


_STYLE = """body{font-family:system-ui,sans-serif;margin:24px;color:#222;max-width:1100px}
h1{font-size:22px}h2{font-size:17px;margin-top:28px}table{border-collapse:collapse;font-size:13px}
td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}
.pass{color:#17803d;font-weight:bold}.fail{color:#c0262d;font-weight:bold}figure{margin:0}
code{font-size:12px}"""


def _cell(value: Any, width: int = 120) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return html.escape(text if len(text) <= width else text[: width - 1] + "…")


def write_html(report: Report, extra: Mapping[str, Any], path: str) -> None:
    """One self-contained page: verdict, figures, plots (inline SVG), the checks with expected vs actual."""
    data = report.to_dict()
    verdict = '<span class="pass">PASSED</span>' if report.passed else '<span class="fail">FAILED</span>'
    figures = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>"
                      for k, v in figure_rows(extra))
    summary = "".join(f"<tr><th>{html.escape(str(k))}</th><td>{_cell(v)}</td></tr>" for k, v in data.items()
                      if k not in ("checks_detail", "passed", "mapping_stats", "deliveries", "warnings"))
    checks = "".join(
        f'<tr><td class="{"pass" if c.passed else "fail"}">{"PASS" if c.passed else "FAIL"}</td>'
        f"<td>{html.escape(c.name)}</td><td><code>{_cell(c.expected)}</code></td>"
        f"<td><code>{_cell(c.actual)}</code></td><td>{html.escape(c.detail)}"
        f"{'' if c.passed or not c.examples else ' e.g. <code>' + _cell(c.examples[:3]) + '</code>'}</td></tr>"
        for c in report.checks)
    images = "".join(f'<h2>{html.escape(t)}</h2><figure class="plot">{svg}</figure>' for t, svg in plots(extra).items())
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>harness load {html.escape(report.scenario)}</title>
<style>{_STYLE}</style></head><body>
<h1>harness load {html.escape(report.scenario)}: {verdict}</h1>
<h2>Load and pipeline</h2><table>{figures}</table>
<h2>Checks</h2><table id="checks"><tr><th></th><th>check</th><th>expected</th><th>actual</th><th>detail</th></tr>
{checks}</table>
{images}
<h2>Report</h2><table>{summary}</table>
</body></html>
"""
    with open(path, "w") as f:
        f.write(page)
