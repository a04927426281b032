"""AWS Backup, logical dumps and DR copies. Owned by the BackupJobs work; starting shape."""

from __future__ import annotations

from pydantic import Field

from .base import ConfigModel


class BackupsConfig(ConfigModel):
    """Backup vaults, plans and the logical dump schedule."""

    dr_region: str = Field(default="us-west-2", pattern=r"^[a-z]{2}(-gov)?-[a-z]+-\d$")
    """Region of the disaster-recovery vault and bucket replica."""

    daily_retention_days: int = Field(default=35, ge=1, le=36500)
    """Days daily recovery points are kept."""
