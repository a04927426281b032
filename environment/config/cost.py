"""Usage assumptions and budget for the plan's cost estimate (no resources depend on these)."""

from __future__ import annotations

from pydantic import Field

from .base import ConfigModel


class CostConfig(ConfigModel):
    """What the offline cost estimate cannot read from the resources: traffic and data volumes.

    The defaults are production-sized; staging states its own smaller numbers.
    """

    nat_data_processed_gib_per_month: float = Field(default=500.0, ge=0)
    """GiB/month through the NAT gateways (image pulls, external APIs); billed per GiB."""

    log_ingest_gib_per_month: float = Field(default=100.0, ge=0)
    """GiB/month ingested into CloudWatch Logs (control plane, flow logs, database, cache)."""

    s3_storage_gib: float = Field(default=200.0, ge=0)
    """Average GiB stored in the platform's other S3 buckets (access logs, app data); the
    database dumps are priced from their schedule, retention and replica."""

    app_data_gib: float = Field(default=100.0, ge=0)
    """GiB in the app data (media) bucket, part of ``s3StorageGib``: its DR replica and its
    AWS Backup recovery points are priced from it."""

    app_data_written_gib_per_month: float = Field(default=20.0, ge=0)
    """GiB/month written to the app data bucket: what its replication carries cross-region."""

    dump_size_gib: float = Field(default=5.0, ge=0)
    """Size of one compressed database dump (``pg_dump -Fc``)."""

    backup_storage_gib: float = Field(default=200.0, ge=0)
    """GiB of AWS Backup recovery points in the primary vault (the DR vault holds as much
    when recovery points are copied)."""

    backup_copy_gib_per_month: float = Field(default=100.0, ge=0)
    """GiB/month the cross-region copies transfer (after the first full copy, RDS snapshot
    copies are incremental)."""

    container_log_gib_per_day: float = Field(default=5.0, ge=0)
    """GiB a day of container stdout/stderr shipped to CloudWatch Logs (``logging``)."""

    traces_per_month_millions: float = Field(default=5.0, ge=0)
    """Millions of traces a month kept by tail sampling and recorded in X-Ray (``tracing``)."""

    requests_per_month_millions: float = Field(default=50.0, ge=0)
    """Millions of requests a month through the public ALB (the WAF inspects each)."""

    cdn_transfer_gib_per_month: float = Field(default=500.0, ge=0)
    """GiB/month CloudFront serves to viewers (``apps.ingress.cdn``); its requests are
    ``requestsPerMonthMillions``."""

    queue_requests_per_month_millions: float = Field(default=10.0, ge=0)
    """Millions of SQS requests a month (sends, receives, deletes; each 64 KiB counts once)."""

    alb_lcu: float = Field(default=5.0, ge=0)
    """Average load-balancer capacity units per ALB."""

    deploy_runner_minutes_per_month: float = Field(default=300.0, ge=0)
    """Build minutes of the in-VPC CodeBuild deploy runner (about ten deploys of 30 min)."""

    monthly_budget_usd: float | None = Field(default=None, gt=0)
    """If set, the plan warns when the estimate exceeds it."""
