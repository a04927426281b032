"""BackupJobs' inputs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from ..iam_roles import OidcProvider


@dataclass(frozen=True, kw_only=True)
class BackupJobsArgs:
    """Inputs: the wiring and the settings (``backups`` in the stack file)."""

    environment: str
    region: str
    dr_provider: aws.Provider | None
    """The DR region's (None: neither ``cross_region_copy`` nor ``bucket_replication``)."""
    k8s_provider: k8s.Provider
    oidc: OidcProvider
    database_host: pulumi.Input[str]
    database_name: pulumi.Input[str]
    database_secret: pulumi.Input[str]
    """Secrets Manager name (or ARN) of the backup login (``pg_read_all_data``)."""
    data_subnet_cidrs: Sequence[str]
    daily_retention_days: int
    weekly_monthly: bool
    weekly_retention_days: int
    monthly_retention_days: int
    cross_region_copy: bool
    vault_lock: bool
    lock_min_days: int
    lock_max_days: int
    bucket_replication: bool
    dump_retention_days: int
    dump_transition_days: int | None
    pg_dump_schedule: str
    restore_check_schedule: str
    dump_volume_gib: int
    """Scratch volume (gp3 ephemeral PVC per run) for the dump and the restore download."""
    storage_class: str
    restore_check_interval_days: int
    """Longest gap between restore checks: the staleness alarm's window (at most 6)."""
    engine_version: str
    """The database's engine (major): the pg_dump/pg_restore client follows its major."""
    max_dump_age_minutes: int
    alarm_topic_arn: pulumi.Input[str] | None = None
    replicated_buckets: Sequence[tuple[str, pulumi.Input[str], pulumi.Input[str]]] = ()
    """(label, source bucket, replica bucket) of other replicated buckets: their failed
    replications raise an alarm next to the dump bucket's."""
    bucket_arns: Sequence[pulumi.Input[str]] = ()
    """Buckets the plan backs up by ARN: a tag-only selection skips S3 where the account has
    not opted the Region in to S3 (AWS Backup "Service opt-in"); an explicit one does not."""
    """Where failed backup/copy/restore jobs, a missing DR copy and a failed or stale restore
    check are reported (EventBridge rules and CloudWatch alarms)."""
    secret_store: str
    """ClusterSecretStore serving the backups namespace (``ClusterAddons``' output)."""
    ready: Sequence[pulumi.Resource] = ()
    credentials_ready: Sequence[pulumi.Resource] = ()
    """The backup login's current secret value (read only after it exists)."""
    credentials_rotation: int
    """Force-syncs the credentials ExternalSecret when bumped."""
    kubernetes_version: str
    """The cluster's minor: the Pod Security labels' version."""
    protect: bool = True
