"""PostgreSQL on RDS. Owned by the RdsPostgres work; this is its starting shape."""

from __future__ import annotations

from pydantic import Field, model_validator

from .base import ConfigModel, DailyWindow, WeeklyWindow, windows_overlap


class DatabaseConfig(ConfigModel):
    """The application database."""

    instance_class: str = "db.m7g.large"
    """RDS instance class."""

    allocated_storage_gib: int = Field(default=100, ge=20, le=65536)
    """Initial gp3 storage."""

    max_allocated_storage_gib: int = Field(default=1000, ge=20, le=65536)
    """Storage autoscaling ceiling."""

    multi_az: bool = True
    """Synchronous standby in a second AZ (automatic failover)."""

    backup_retention_days: int = Field(default=30, ge=1, le=35)
    """Automated backups / PITR window in days (1-35)."""

    backup_window: DailyWindow = "03:00-04:00"
    """Daily backup window (UTC)."""

    maintenance_window: WeeklyWindow = "sun:04:30-sun:05:30"
    """Weekly maintenance window (UTC); must not overlap the backup window."""

    deletion_protection: bool = True
    """Refuse API deletes; also makes a final snapshot mandatory on delete."""

    @model_validator(mode="after")
    def _consistent(self) -> DatabaseConfig:
        if self.max_allocated_storage_gib < self.allocated_storage_gib:
            raise ValueError("maxAllocatedStorageGib must be >= allocatedStorageGib")
        if windows_overlap(self.backup_window, self.maintenance_window):
            raise ValueError(
                f"maintenanceWindow {self.maintenance_window} overlaps "
                f"backupWindow {self.backup_window}"
            )
        return self
