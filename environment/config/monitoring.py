"""Metrics, dashboards, alert rules, alert routing and CloudWatch alarms."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from .base import ConfigModel

EMAIL = r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$"


class Thresholds(ConfigModel):
    """Alert thresholds (percentages are 0-100)."""

    api_error_ratio_critical_percent: float = Field(default=5.0, gt=0, le=100)
    """5xx share of API requests that pages (over 5 minutes)."""
    api_error_ratio_warning_percent: float = Field(default=1.0, gt=0, le=100)
    """5xx share of API requests that warns."""
    api_latency_p95_warning_seconds: float = Field(default=2.0, gt=0, le=120)
    """p95 API latency that warns."""
    api_latency_p95_info_seconds: float = Field(default=0.5, gt=0, le=120)
    """p95 API latency worth a look (info)."""
    node_cpu_percent: float = Field(default=80.0, gt=0, le=100)
    """Node CPU utilisation."""
    node_memory_percent: float = Field(default=80.0, gt=0, le=100)
    """Node memory utilisation."""
    volume_free_percent: float = Field(default=20.0, gt=0, le=100)
    """Persistent volume free space below which to warn."""
    database_connections_percent: float = Field(default=80.0, gt=0, le=100)
    """Connections as a share of max_connections (pool exhaustion)."""
    database_cpu_percent: float = Field(default=80.0, gt=0, le=100)
    """RDS CPU."""
    database_free_storage_percent: float = Field(default=10.0, gt=0, le=100)
    """RDS free storage as a share of allocated storage."""
    cache_memory_percent: float = Field(default=80.0, gt=0, le=100)
    """Cache memory used."""
    cache_cpu_percent: float = Field(default=80.0, gt=0, le=100)
    """ElastiCache engine CPU."""
    queue_backlog: int = Field(default=1000, ge=1)
    """Celery queue length that, while growing, warns."""


class AlertRuleConfig(ConfigModel):
    """One Prometheus alerting rule of the stack's own."""

    alert: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_]*$")
    """Alert name."""
    expr: str = Field(min_length=1)
    """PromQL; fires while it returns series (checked with ``promtool`` in the tests)."""
    duration: str = Field(default="5m", pattern=r"^[0-9]+[smh]$")
    """How long ``expr`` must hold (the rule's ``for``)."""
    severity: Literal["critical", "warning", "info"]
    """Routing: critical pages, warning posts, info stays in the UI."""
    summary: str = Field(min_length=1)
    """One line for the notification."""
    description: str = ""
    """Details (Go templates such as ``{{ $labels.workload }}`` allowed)."""

    def rule(self) -> dict[str, object]:
        return {
            "alert": self.alert,
            "expr": self.expr,
            "for": self.duration,
            "labels": {"severity": self.severity},
            "annotations": {"summary": self.summary, "description": self.description},
        }


class MonitoringConfig(ConfigModel):
    """kube-prometheus-stack, exporters, alert rules and routing, CloudWatch alarms."""

    prometheus_retention_days: int = Field(default=30, ge=1, le=365)
    """Days Prometheus keeps samples."""

    prometheus_storage_gib: int = Field(default=100, ge=10, le=16384)
    """gp3 volume per Prometheus replica."""

    prometheus_replicas: int = Field(default=2, ge=1, le=5)
    """Prometheus replicas (each scrapes everything)."""

    alertmanager_replicas: int = Field(default=2, ge=1, le=5)
    """Alertmanager replicas (clustered)."""

    thresholds: Thresholds = Thresholds()
    """Alert thresholds."""

    slack_enabled: bool = True
    """Route warnings (and criticals) to Slack; its webhook URL is the Secrets Manager
    secret ``<stack>/alerting/slack-webhook-url`` (``bootstrap-backend put-secret``)."""

    slack_channel: str = Field(default="#platform-alerts", pattern=r"^#[a-z0-9_-]{1,79}$")
    """Slack channel for alerts."""

    pagerduty_enabled: bool = True
    """Page on critical alerts; its routing key is the Secrets Manager secret
    ``<stack>/alerting/pagerduty-routing-key`` (``bootstrap-backend put-secret``)."""

    extra_alerts: tuple[AlertRuleConfig, ...] = ()
    """The stack's own alerting rules (a PrometheusRule beside the platform's), routed by
    severity like the others."""

    alert_emails: tuple[str, ...] = Field(default=())
    """Addresses subscribed to the CloudWatch alarm topic (and warning emails)."""

    @field_validator("alert_emails")
    @classmethod
    def _emails(cls, emails: tuple[str, ...]) -> tuple[str, ...]:
        for email in emails:
            if not re.fullmatch(EMAIL, email):
                raise ValueError(f"{email!r} is not an email address")
        return emails

    @model_validator(mode="after")
    def _thresholds(self) -> MonitoringConfig:
        t = self.thresholds
        if t.api_error_ratio_warning_percent >= t.api_error_ratio_critical_percent:
            raise ValueError("thresholds: the warning error ratio must be below the critical one")
        if t.api_latency_p95_info_seconds >= t.api_latency_p95_warning_seconds:
            raise ValueError("thresholds: the info latency must be below the warning latency")
        return self
