"""Locustfiles: load on the pipelines of the scenarios, through boto3 (see common.py)."""
