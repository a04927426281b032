"""Valkey on ElastiCache."""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator

from components.elasticache import CacheSettings
from components.versions import VALKEY_SUPPORTED_ENGINE_VERSIONS

from .base import windows_overlap
from .database import SEED_BACKUP_WINDOW, check_instance_class, window_inside

_SIZES = ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge")
CACHE_NODE_FAMILIES: dict[str, tuple[str, ...]] = {
    "cache.t4g": ("micro", "small", "medium"),
    "cache.m6g": _SIZES,
    "cache.m7g": _SIZES,
    "cache.r6g": _SIZES,
    "cache.r7g": _SIZES,
}


class CacheConfig(CacheSettings):
    """The application cache: the replication group's settings (``components.elasticache``)
    and the recovery targets the plan report checks."""

    rpo_minutes: int | None = Field(default=5, ge=1, le=10080)
    """Target data loss of a node or AZ failure (replication is asynchronous: a failover may
    lose the newest writes, for a Celery broker queued tasks); null: no target."""

    rto_minutes: int | None = Field(default=15, ge=1, le=10080)
    """Target time to serve again after a node or AZ failure."""

    region_loss_rpo_minutes: int | None = Field(default=None, ge=1, le=10080)
    """Target data loss of the cache when its region is lost; null (the default): the product
    tolerates a cold cache (no copy of it leaves the region, a standby's cache starts empty)."""

    region_loss_rto_minutes: int | None = Field(default=None, ge=1, le=20160)
    """Target time until a cache serves again when its region is lost (a standby's cold cache:
    its failover time)."""

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
