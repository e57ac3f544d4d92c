"""``harness bench``: one run on one machine, the figures with their goals and verdicts, a table and bench.json.

``figures`` (pure: goals, verdicts, ratios, the table and the JSON), ``settings`` (the sizes), ``suite`` (what
is measured, per backend), ``loads`` (Locust runs: ``harness load``, and the locustfile against the tables
alone), ``startup`` (cold start in fresh processes), ``eventbridge`` (PutEvents -> SQS), ``machine`` (CPUs and
load), ``command`` (the click command). Kept light: ``startup`` runs as ``python -m`` in fresh processes.
"""
