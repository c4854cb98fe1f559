"""The one Logger and Metrics instance every module shares.

Log ids and counts only: never lead answers, emails, phones, names or hashes (DESIGN rule 6).
"""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

logger = Logger(service="leadloop")
metrics = Metrics(namespace="leadloop")

__all__ = ["MetricUnit", "logger", "metrics"]
