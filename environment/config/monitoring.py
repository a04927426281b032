"""Metrics, dashboards, alert rules, alert routing and CloudWatch alarms."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from components.monitoring_stack import MonitoringSettings

from .base import ConfigModel

EMAIL = r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$"


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


class MonitoringConfig(MonitoringSettings):
    """kube-prometheus-stack, exporters, alert rules and routing, CloudWatch alarms: the
    stack's settings (``components.monitoring_stack``) and which receivers are on."""

    slack_enabled: bool = True
    """Route warnings (and criticals) to Slack; its webhook URL is the Secrets Manager
    secret ``<stack>/alerting/slack-webhook-url`` (``bootstrap-backend put-secret``)."""

    pagerduty_enabled: bool = True
    """Page on critical alerts; its routing key is the Secrets Manager secret
    ``<stack>/alerting/pagerduty-routing-key`` (``bootstrap-backend put-secret``)."""

    extra_alerts: tuple[AlertRuleConfig, ...] = ()
    """The stack's own alerting rules (a PrometheusRule beside the platform's), routed by
    severity like the others."""

    @field_validator("alert_emails")
    @classmethod
    def _emails(cls, emails: tuple[str, ...]) -> tuple[str, ...]:
        for email in emails:
            if not re.fullmatch(EMAIL, email):
                raise ValueError(f"{email!r} is not an email address")
        return emails

    @model_validator(mode="after")
    def _email_sender(self) -> MonitoringConfig:
        if self.alert_emails and self.email_sender is None:
            raise ValueError(
                "alertEmails needs emailSender: the verified SES identity the alerts are "
                "sent from (e.g. alerts@your-domain)"
            )
        return self
