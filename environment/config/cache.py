"""Valkey on ElastiCache. Owned by the ElastiCache work; this is its starting shape."""

from __future__ import annotations

from pydantic import Field

from .base import ConfigModel


class CacheConfig(ConfigModel):
    """The application cache."""

    node_type: str = "cache.m7g.large"
    """ElastiCache node type."""

    cluster_mode: bool = True
    """Shard the keyspace (cluster mode enabled)."""

    shards: int = Field(default=2, ge=1, le=500)
    """Node groups (shards) when cluster mode is on."""

    replicas_per_shard: int = Field(default=1, ge=0, le=5)
    """Replicas per shard; >= 1 for automatic failover."""

    snapshot_retention_days: int = Field(default=7, ge=0, le=35)
    """Daily snapshots kept."""
