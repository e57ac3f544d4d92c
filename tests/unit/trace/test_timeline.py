"""A trace read as each record's path, and the summaries: pure, on a hand-written trace."""
from __future__ import annotations

from sample_trace import TRACE

from harness.trace.timeline import function_summary, mapping_summary, percentile, record_paths, select


def test_each_record_path_follows_the_links_of_the_trace() -> None:
    paths = {p.sequence_number: p for p in record_paths(TRACE)}
    texts = [s.text for s in paths["1"].steps]
    assert texts[0] == "read" and texts[1].startswith("invoked fn (batch b1 of 2, attempt 1")
    assert "ERROR ValueError: flaky" in texts and "ok in 4.0 ms" in texts
    assert any(t.startswith("retry 1 of the batch") for t in texts)
    assert "bus event sh-orders 'Done' (e1) matched: r" in texts
    assert "delivery rule r -> t (attempt 1) ok" in texts and "invoked sink (attempt 1)" in texts
    assert "PutEvents entry rejected: MalformedDetail (Bad)" in texts
    assert [s.text for s in paths["3"].steps] == ["read", "filtered out (matched no filter)"]
    assert paths["4"].failed and paths["4"].steps[-1].text.startswith("given up (RetryAttemptsExhausted)")


def test_selecting_by_key_correlation_function_failure_and_time() -> None:
    paths = record_paths(TRACE)
    assert [p.sequence_number for p in select(paths, TRACE, key="b")] == ["2"]
    assert [p.sequence_number for p in select(paths, TRACE, key="id=poison")] == ["4"]
    assert [p.sequence_number for p in select(paths, TRACE, correlation_id="corr-9")] == ["1"]
    assert {p.sequence_number for p in select(paths, TRACE, failed=True)} == {"1", "2", "4"}  # 1, 2 failed once
    assert [p.sequence_number for p in select(paths, TRACE, function="fn", since=0.25)] == ["4"]
    assert select(paths, TRACE, until=-1) == []


def test_summaries_count_and_take_percentiles() -> None:
    fns = {r["function"]: r for r in function_summary(TRACE)}
    assert (fns["fn"]["invocations"], fns["fn"]["errors"], fns["fn"]["batch_max"]) == (3, 2, 2)
    assert fns["sink"]["p99_ms"] == 1.0
    (m,) = mapping_summary(TRACE)
    assert (m["records"], m["filtered"], m["invocations"], m["errors"], m["retries"], m["given_up"]) == (4, 1, 3, 2, 1, 1)
    assert percentile([5, 1, 3, 2, 4], 50) == 3 and percentile([], 99) == 0.0


def test_a_correlation_id_is_followed_past_the_stream_into_queue_consumers_and_logs() -> None:
    from sample_trace import ev

    queue_record = {"messageId": "m1", "body": "{}", "messageAttributes": {"cid": {"stringValue": "corr-9"}}}
    extra = [ev(30, "invoke", function="consumer", source="queue:orders", request_id="c1", attempt=2,
                event={"Records": [queue_record]}),
             ev(31, "log", function="consumer", request_id="c1", stream="stdout", message='{"cid": "corr-9"}'),
             ev(32, "result", function="consumer", request_id="c1", duration_ms=1.0, response=None),
             ev(33, "invoke", function="consumer", source="queue:orders", request_id="c2", attempt=1,
                event={"Records": [{**queue_record, "messageAttributes": {"cid": {"stringValue": "other"}}}]})]
    trace = TRACE + extra
    (path,) = select(record_paths(trace), trace, correlation_id="corr-9")
    texts = [s.text for s in path.steps]
    assert "invoked consumer (queue:orders, attempt 2)" in texts and 'log consumer: {"cid": "corr-9"}' in texts
    assert texts.index("invoked consumer (queue:orders, attempt 2)") > texts.index("read")
    assert sum(t.startswith("invoked consumer") for t in texts) == 1   # the other message is not this id's
