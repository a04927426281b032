"""AWS Backup, logical dumps, cross-region copies and the restore check."""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator

from .base import ConfigModel
from .schedules import check_cron, longest_gap_minutes


class VaultLockConfig(ConfigModel):
    """AWS Backup Vault Lock in governance mode (admins with permission can still remove it)."""

    enabled: bool = True
    """Lock the primary vault."""
    min_retention_days: int = Field(default=7, ge=1, le=36500)
    """No recovery point may be deleted earlier than this."""
    max_retention_days: int = Field(default=400, ge=1, le=36500)
    """No recovery point may be kept longer than this."""

    @model_validator(mode="after")
    def _range(self) -> VaultLockConfig:
        if self.min_retention_days > self.max_retention_days:
            raise ValueError("minRetentionDays must be <= maxRetentionDays")
        return self


class BackupsConfig(ConfigModel):
    """Backup vaults, plans, the dump bucket and schedules; RPO/RTO targets."""

    dr_region: str = Field(default="us-west-2", pattern=r"^[a-z]{2}(-gov)?-[a-z]+-\d$")
    """Region of the disaster-recovery vault and bucket replica (must differ from the primary)."""

    daily_retention_days: int = Field(default=35, ge=1, le=36500)
    """Days daily recovery points are kept."""

    weekly_monthly: bool = True
    """Also keep weekly and monthly recovery points."""

    weekly_retention_days: int = Field(default=90, ge=7, le=36500)
    """Days weekly recovery points are kept."""

    monthly_retention_days: int = Field(default=365, ge=28, le=36500)
    """Days monthly recovery points are kept."""

    cross_region_copy: bool = True
    """Copy every recovery point to the DR region's vault."""

    vault_lock: VaultLockConfig = VaultLockConfig()
    """Vault Lock on the primary vault."""

    bucket_replication: bool = True
    """Replicate the dump bucket and the app data bucket to the DR region (a replica under a
    key of that region each)."""

    app_data_backup: bool = True
    """Select the app data bucket for the AWS Backup plan: its daily (and weekly/monthly)
    recovery points, copied to the DR vault with ``crossRegionCopy``."""

    dump_retention_days: int = Field(default=35, ge=1, le=3650)
    """Days logical dumps are kept in S3."""

    dump_transition_days: int | None = Field(default=None, ge=30)
    """Move dumps to Standard-IA after this many days (None: never). Only worth it when dumps
    then stay at least 30 more days: Standard-IA bills a 30-day minimum and a transition fee,
    so moving a dump that expires a few days later costs more than keeping it in Standard."""

    pg_dump_schedule: str = "0 * * * *"
    """CronJob schedule of the logical dump (UTC)."""

    restore_check_schedule: str = "0 7 * * *"
    """CronJob schedule of the restore check (UTC): at least every 6 days, so its staleness
    alarm fits CloudWatch's 7-day evaluation window."""

    dump_volume_gib: int | None = Field(default=None, ge=1, le=16384)
    """Scratch volume for one dump and for the restore check's download (a gp3 ephemeral
    volume per run, deleted with the pod). Default: the database's allocated storage (a
    compressed custom-format dump is smaller than the data); raise it if storage autoscaling
    grew the database past that."""

    rpo_minutes: int = Field(default=5, ge=1, le=10080)
    """Target recovery point objective for the database (compared in the plan report)."""

    rto_minutes: int = Field(default=60, ge=5, le=10080)
    """Target recovery time objective for the database."""

    region_loss_rpo_minutes: int | None = Field(default=120, ge=1, le=10080)
    """Target data loss when the whole region is lost (compared in the plan report with the
    best configured path: replicated dumps or snapshot copies); null: no target."""

    region_loss_rto_minutes: int | None = Field(default=480, ge=5, le=20160)
    """Target time to run again in the DR region (platform rebuild + database restore)."""

    @field_validator("pg_dump_schedule", "restore_check_schedule")
    @classmethod
    def _cron(cls, expression: str) -> str:
        return check_cron(expression)

    @model_validator(mode="after")
    def _consistent(self) -> BackupsConfig:
        interval = longest_gap_minutes(self.pg_dump_schedule)
        if self.dump_retention_days * 1440 < 2 * interval:
            raise ValueError(
                f"dumpRetentionDays {self.dump_retention_days} is shorter than two intervals of "
                f"pgDumpSchedule '{self.pg_dump_schedule}' ({interval} minutes): the last good "
                "dump could expire before the next one exists"
            )
        if self.vault_lock.enabled:
            lock = self.vault_lock
            retentions = {"dailyRetentionDays": self.daily_retention_days}
            if self.weekly_monthly:
                retentions["weeklyRetentionDays"] = self.weekly_retention_days
                retentions["monthlyRetentionDays"] = self.monthly_retention_days
            for key, days in retentions.items():
                if days < lock.min_retention_days:
                    raise ValueError(
                        f"{key} is shorter than vaultLock.minRetentionDays"
                        f" ({days} < {lock.min_retention_days})"
                    )
                if days > lock.max_retention_days:
                    raise ValueError(
                        f"{key} {days} is above vaultLock.maxRetentionDays "
                        f"{lock.max_retention_days}: AWS Backup would fail every backup and "
                        "copy job of that rule in the locked vault"
                    )
        if longest_gap_minutes(self.restore_check_schedule) > 6 * 1440:
            raise ValueError(
                f"restoreCheckSchedule {self.restore_check_schedule!r} runs less often than every "
                "6 days: its staleness alarm cannot look back that far (CloudWatch evaluates at "
                "most 7 days); run it daily or every few days"
            )
        if self.dump_transition_days and self.dump_retention_days - self.dump_transition_days < 30:
            raise ValueError(
                f"dumpTransitionDays {self.dump_transition_days} leaves dumps less than 30 days "
                f"in Standard-IA before dumpRetentionDays {self.dump_retention_days}: its 30-day "
                "minimum charge makes that dearer than Standard (set it to null, or keep dumps "
                "30 days longer)"
            )
        return self

    @property
    def restore_check_interval_days(self) -> int:
        return -(-longest_gap_minutes(self.restore_check_schedule) // 1440)

    @property
    def dump_interval_minutes(self) -> int:
        return longest_gap_minutes(self.pg_dump_schedule)
