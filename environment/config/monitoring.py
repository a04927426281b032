"""Metrics, dashboards and alerting. Owned by the MonitoringStack work; starting shape."""

from __future__ import annotations

from pydantic import Field

from .base import ConfigModel


class MonitoringConfig(ConfigModel):
    """kube-prometheus-stack, alert routing and CloudWatch alarms."""

    prometheus_retention_days: int = Field(default=30, ge=1, le=365)
    """Days Prometheus keeps samples."""

    prometheus_storage_gib: int = Field(default=100, ge=10, le=16384)
    """gp3 volume per Prometheus replica."""

    alert_emails: tuple[str, ...] = ()
    """Addresses subscribed to the CloudWatch alarm topic."""
