"""PostgreSQL on RDS."""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator

from components.versions import POSTGRES_ENGINE_VERSION, POSTGRES_SUPPORTED_ENGINE_VERSIONS

from .base import (
    ConfigModel,
    DailyWindow,
    LogRetentionDays,
    WeeklyWindow,
    daily_window_minutes,
    windows_overlap,
)

SEED_BACKUP_WINDOW = (3 * 60, 6 * 60)
"""Backups and snapshots run inside 03:00-06:00 UTC (lowest traffic)."""

_SIZES_STANDARD = ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge")
RDS_INSTANCE_FAMILIES: dict[str, tuple[str, ...]] = {
    "db.t4g": ("micro", "small", "medium", "large", "xlarge", "2xlarge"),
    "db.m6g": _SIZES_STANDARD,
    "db.m7g": _SIZES_STANDARD,
    "db.m8g": _SIZES_STANDARD,
    "db.r6g": _SIZES_STANDARD,
    "db.r7g": _SIZES_STANDARD,
    "db.r8g": _SIZES_STANDARD,
    "db.m7i": _SIZES_STANDARD,
    "db.r7i": _SIZES_STANDARD,
}
"""Current-generation families (Graviton first) and the sizes RDS offers in each."""


def check_instance_class(value: str, families: dict[str, tuple[str, ...]], what: str) -> str:
    """``db.m7g.large`` -> ok; an unknown family or a size the family lacks -> clear error."""
    family, _, size = value.rpartition(".")
    if family not in families:
        raise ValueError(
            f"{value!r}: unknown {what} family; allowed: {', '.join(sorted(families))}"
        )
    if size not in families[family]:
        raise ValueError(
            f"{value!r}: {family} has no size {size!r}; sizes: {', '.join(families[family])}"
        )
    return value


def window_inside(window: str, bounds: tuple[int, int]) -> bool:
    start, end = daily_window_minutes(window)
    return bounds[0] <= start and end <= bounds[1]


class DatabaseConfig(ConfigModel):
    """The application database."""

    apply_immediately: bool = False
    """Apply modifications (instance class, storage type, Multi-AZ) in this ``pulumi up``, not in
    the next maintenance window. Off (production-safe: no failover mid-day): the change waits
    for the window, and until then every refreshed preview shows it again; the nightly drift
    check reports it as pending, not as drift (``tools/drift/classify.py``)."""

    engine_version: str = POSTGRES_ENGINE_VERSION
    """PostgreSQL **major** version (``"17"``). AWS applies minor versions in the maintenance
    window; the parameter-group family and the backup client image follow the major."""

    instance_class: str = "db.m7g.large"
    """RDS instance class (current-generation families only)."""

    database_name: str = Field(default="app", pattern=r"^[a-z][a-z0-9_]{0,62}$")
    """Initial database."""

    allocated_storage_gib: int = Field(default=100, ge=20, le=65536)
    """Initial gp3 storage."""

    max_allocated_storage_gib: int = Field(default=1000, ge=20, le=65536)
    """Storage autoscaling ceiling."""

    multi_az: bool = True
    """Synchronous standby in a second AZ (automatic failover)."""

    read_replicas: int = Field(default=0, ge=0, le=0)
    """Read replicas (same region). Must stay 0: the master password is managed by RDS in
    Secrets Manager, and RDS does not support creating a read replica of such a source
    (RDS User Guide, "Limitations for Secrets Manager integration", all engines but SQL
    Server)."""

    backup_retention_days: int = Field(default=30, ge=1, le=35)
    """Automated backups / PITR window in days (1-35)."""

    backup_window: DailyWindow = "03:00-04:00"
    """Daily backup window (UTC), inside 03:00-06:00."""

    maintenance_window: WeeklyWindow = "sun:06:00-sun:07:00"
    """Weekly maintenance window (UTC); must not overlap the backup window."""

    deletion_protection: bool = True
    """Refuse API deletes."""

    credentials_rotation: int = Field(default=0, ge=0)
    """Bump to rotate the passwords of every workload's, the exporter's and the backup's own
    database login (README "Credentials and rotation"). The master password is rotated by
    RDS every 7 days and used only by the roles Job."""

    slow_query_ms: int = Field(default=500, ge=-1, le=600_000)
    """``log_min_duration_statement``: log statements slower than this (-1 disables)."""

    max_connections: int | None = Field(default=None, ge=20, le=10_000)
    """Override ``max_connections`` (default: RDS's memory-based formula)."""

    performance_insights_retention_days: int = 7
    """Performance Insights retention: 7 (free) or a multiple of 31 up to 731."""

    log_retention_days: LogRetentionDays = 90
    """Days to keep exported PostgreSQL logs."""

    @field_validator("engine_version")
    @classmethod
    def _engine(cls, version: str) -> str:
        if "." in version and version.split(".", 1)[0] in POSTGRES_SUPPORTED_ENGINE_VERSIONS:
            raise ValueError(
                f"{version!r} pins a minor version; give the major only "
                f"({version.split('.', 1)[0]!r}): AWS applies minor upgrades automatically, and "
                "an exact minor would make the next `pulumi up` try to downgrade the instance"
            )
        if version not in POSTGRES_SUPPORTED_ENGINE_VERSIONS:
            raise ValueError(
                f"unknown engine version {version!r}; allowed: "
                + ", ".join(POSTGRES_SUPPORTED_ENGINE_VERSIONS)
            )
        return version

    @field_validator("instance_class")
    @classmethod
    def _instance_class(cls, value: str) -> str:
        return check_instance_class(value, RDS_INSTANCE_FAMILIES, "RDS instance")

    @field_validator("performance_insights_retention_days")
    @classmethod
    def _pi_retention(cls, days: int) -> int:
        if days != 7 and not (days % 31 == 0 and 31 <= days <= 731):
            raise ValueError("must be 7 or a multiple of 31 up to 731")
        return days

    @model_validator(mode="after")
    def _consistent(self) -> DatabaseConfig:
        if self.max_allocated_storage_gib < self.allocated_storage_gib:
            raise ValueError("maxAllocatedStorageGib must be >= allocatedStorageGib")
        if not window_inside(self.backup_window, SEED_BACKUP_WINDOW):
            raise ValueError(f"backupWindow {self.backup_window} must lie inside 03:00-06:00 UTC")
        if windows_overlap(self.backup_window, self.maintenance_window):
            raise ValueError(
                f"maintenanceWindow {self.maintenance_window} overlaps "
                f"backupWindow {self.backup_window}"
            )
        return self

    @field_validator("read_replicas", mode="before")
    @classmethod
    def _no_replicas_with_managed_password(cls, value: object) -> object:
        if isinstance(value, int) and value > 0:
            raise ValueError(
                "read replicas are not supported: the master password is managed by RDS in "
                "Secrets Manager, and RDS cannot create a read replica of such a source (RDS "
                "User Guide, 'Limitations for Secrets Manager integration'); scale reads with "
                "a larger instanceClass, or drop managed credentials first"
            )
        return value
