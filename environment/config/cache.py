"""Valkey on ElastiCache."""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator

from components.versions import VALKEY_ENGINE_VERSION, VALKEY_SUPPORTED_ENGINE_VERSIONS

from .base import ConfigModel, DailyWindow, LogRetentionDays, WeeklyWindow, windows_overlap
from .database import SEED_BACKUP_WINDOW, check_instance_class, window_inside

_SIZES = ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge")
CACHE_NODE_FAMILIES: dict[str, tuple[str, ...]] = {
    "cache.t4g": ("micro", "small", "medium"),
    "cache.m6g": _SIZES,
    "cache.m7g": _SIZES,
    "cache.r6g": _SIZES,
    "cache.r7g": _SIZES,
}


class CacheConfig(ConfigModel):
    """The application cache."""

    apply_immediately: bool = False
    """Apply modifications (node type, engine version) in this ``pulumi up``, not in
    the next maintenance window. Off (production-safe: no failover mid-day): the change waits
    for the window, and until then every refreshed preview shows it again; the nightly drift
    check reports it as pending, not as drift (``tools/drift/classify.py``)."""

    engine_version: str = VALKEY_ENGINE_VERSION
    """Valkey version; the parameter-group family follows its major."""

    node_type: str = "cache.m7g.large"
    """ElastiCache node type."""

    cluster_mode: bool = False
    """Shard the keyspace (cluster mode enabled). Off by default: Celery's Redis transport (the
    broker of Celery workloads) does not support cluster mode, and one primary with a replica
    per zone serves most products. Turn it on for a pure cache that outgrows one node."""

    shards: int = Field(default=1, ge=1, le=500)
    """Node groups (shards); must be 1 without cluster mode."""

    replicas_per_shard: int = Field(default=2, ge=0, le=5)
    """Replicas per shard; >= 1 for automatic failover and Multi-AZ. The default gives one node
    per zone of a three-zone VPC (primary + 2 replicas)."""

    multi_az: bool = True
    """Automatic failover to a replica in another AZ (needs replicasPerShard >= 1)."""

    snapshot_retention_days: int = Field(default=7, ge=0, le=35)
    """Daily snapshots kept (0 disables snapshots)."""

    snapshot_window: DailyWindow = "04:00-05:00"
    """Daily snapshot window (UTC), inside 03:00-06:00."""

    maintenance_window: WeeklyWindow = "sun:05:30-sun:06:30"
    """Weekly maintenance window (UTC); must not overlap the snapshot window."""

    log_retention_days: LogRetentionDays = 30
    """Days to keep slow and engine logs."""

    rpo_minutes: int | None = Field(default=5, ge=1, le=10080)
    """Target data loss of a node or AZ failure (replication is asynchronous: a failover may
    lose the newest writes, for a Celery broker queued tasks); null: no target."""

    rto_minutes: int | None = Field(default=15, ge=1, le=10080)
    """Target time to serve again after a node or AZ failure."""

    @field_validator("engine_version")
    @classmethod
    def _engine(cls, version: str) -> str:
        if version not in VALKEY_SUPPORTED_ENGINE_VERSIONS:
            raise ValueError(
                f"unknown engine version {version!r}; allowed: "
                + ", ".join(VALKEY_SUPPORTED_ENGINE_VERSIONS)
            )
        return version

    @field_validator("node_type")
    @classmethod
    def _node_type(cls, value: str) -> str:
        return check_instance_class(value, CACHE_NODE_FAMILIES, "ElastiCache node")

    @property
    def node_count(self) -> int:
        return self.shards * (self.replicas_per_shard + 1)

    @model_validator(mode="after")
    def _consistent(self) -> CacheConfig:
        if self.multi_az and self.replicas_per_shard < 1:
            raise ValueError(
                f"multiAz/automatic failover needs at least 2 nodes per shard; "
                f"replicasPerShard is {self.replicas_per_shard}"
            )
        if not self.cluster_mode and self.shards != 1:
            raise ValueError("shards must be 1 when clusterMode is false")
        if not window_inside(self.snapshot_window, SEED_BACKUP_WINDOW):
            raise ValueError(
                f"snapshotWindow {self.snapshot_window} must lie inside 03:00-06:00 UTC"
            )
        if windows_overlap(self.snapshot_window, self.maintenance_window):
            raise ValueError(
                f"maintenanceWindow {self.maintenance_window} overlaps "
                f"snapshotWindow {self.snapshot_window}"
            )
        return self
