"""PostgreSQL on RDS."""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator

from components.rds_postgres import PostgresSettings
from components.versions import POSTGRES_SUPPORTED_ENGINE_VERSIONS

from .base import (
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


class DatabaseConfig(PostgresSettings):
    """The application database: the instance's settings (``components.rds_postgres``) and the
    keys only the environment uses."""

    database_name: str = Field(default="app", pattern=r"^[a-z][a-z0-9_]{0,62}$")
    """Initial database."""

    credentials_rotation: int = Field(default=0, ge=0)
    """Bump to rotate the passwords of every workload's, the exporter's and the backup's own
    database login (README "Credentials and rotation"). The master password is rotated by
    RDS every 7 days and used only by the roles Job."""

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
