"""``harness bench``: one run on one machine, the figures with their goals and verdicts, a table and bench.json.

``figures`` (pure: goals, verdicts, ratios, the table and the JSON), ``settings`` (the sizes), ``suite`` (what
is measured, per backend), ``loads`` (Locust runs: ``harness load``, and the locustfile against the tables
alone), ``eventbridge`` (PutEvents -> SQS), ``machine`` (CPUs and load), ``command`` (the click command); the cold
start in fresh processes is :func:`harness.coldstart.measure_cold_start`, which ``benchmarks/bench_startup.py``
also prints phase by phase.
"""
