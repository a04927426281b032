"""Step 6: AWS Backup, the dumps and the restore check, with a provider in the DR region."""

from __future__ import annotations

from components.app_namespace import AppNamespace
from components.backup_jobs import BackupJobs, BackupJobsArgs
from components.database_roles import BACKUP_ROLE
from components.monitoring_stack import MonitoringStack

from .cluster import Platform
from .context import Context
from .data import Data
from .network import Network


def backups(
    ctx: Context,
    net: Network,
    platform: Platform,
    stores: Data,
    monitoring: MonitoringStack,
    media: AppNamespace,
) -> BackupJobs:
    """``media``: its data bucket is selected by ARN (``appDataBackup``) and its replica's
    failed replications raise an alarm next to the dumps'."""
    bk, db, cluster = ctx.cfg.backups, ctx.cfg.database, platform.cluster
    database, roles = stores.database, stores.roles
    return BackupJobs(
        f"{ctx.env}-backups",
        BackupJobsArgs(
            environment=ctx.env,
            region=ctx.cfg.region,
            dr_provider=ctx.dr_provider,
            k8s_provider=cluster.k8s_provider,
            oidc=cluster.oidc,
            database_host=database.endpoint,
            database_name=database.database_name,
            database_secret=roles.secret_names[BACKUP_ROLE],
            credentials_ready=[*roles.secret_versions, *roles.applied],
            credentials_rotation=db.credentials_rotation,
            kubernetes_version=ctx.cfg.cluster.kubernetes_version,
            data_subnet_cidrs=[str(c) for c in net.subnets.database],
            daily_retention_days=bk.daily_retention_days,
            weekly_monthly=bk.weekly_monthly,
            weekly_retention_days=bk.weekly_retention_days,
            monthly_retention_days=bk.monthly_retention_days,
            cross_region_copy=bk.cross_region_copy,
            vault_lock=bk.vault_lock.enabled,
            lock_min_days=bk.vault_lock.min_retention_days,
            lock_max_days=bk.vault_lock.max_retention_days,
            bucket_replication=bk.bucket_replication,
            dump_retention_days=bk.dump_retention_days,
            dump_transition_days=bk.dump_transition_days,
            pg_dump_schedule=bk.pg_dump_schedule,
            restore_check_schedule=bk.restore_check_schedule,
            dump_volume_gib=bk.dump_volume_gib or db.allocated_storage_gib,
            storage_class=cluster.storage_class_name,
            restore_check_interval_days=bk.restore_check_interval_days,
            alarm_topic_arn=monitoring.alarm_topic_arn,
            bucket_arns=[media.data_bucket_arn] if bk.app_data_backup else [],
            replicated_buckets=(
                [("app-data", media.data_bucket_name, media.data_replica.bucket)]
                if media.data_replica
                else []
            ),
            secret_store=platform.addons.cluster_secret_store_name,
            engine_version=db.engine_version,
            max_dump_age_minutes=2 * bk.dump_interval_minutes,
            ready=platform.addons.ready,
            protect=ctx.protect,
        ),
        opts=ctx.aws_opts,
    )
