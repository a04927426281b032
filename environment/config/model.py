"""The root of the stack-config tree."""

from __future__ import annotations

from pydantic import Field, model_validator

from .addons import AddonsConfig
from .apps import AppsConfig
from .backups import BackupsConfig
from .base import ConfigModel
from .cache import CacheConfig
from .cluster import ClusterConfig
from .cost import CostConfig
from .database import DatabaseConfig
from .monitoring import MonitoringConfig
from .naming import TagsConfig
from .network import NetworkConfig

AWS_REGION_PATTERN = r"^[a-z]{2}(-gov)?-[a-z]+-\d$"


class StackConfig(ConfigModel):
    """One environment. Defaults are the production-safe choice; staging opts out explicitly."""

    region: str = Field(pattern=AWS_REGION_PATTERN)
    """AWS region (stack key ``aws:region``). Required."""

    environment: str = Field(pattern=r"^[a-z][a-z0-9-]{1,15}$")
    """Environment name used in resource names and tags (defaults to the stack name)."""

    protect_stateful_resources: bool = True
    """Pulumi ``protect`` on databases, caches, buckets and vaults, ``retain_on_delete`` on KMS
    keys: a ``pulumi destroy`` or an accidental replace cannot lose data."""

    tags: TagsConfig
    """Cost-allocation tags. Required (``owner``, ``costCenter``)."""

    network: NetworkConfig = NetworkConfig()
    """VPC layout."""

    cluster: ClusterConfig = ClusterConfig()
    """EKS cluster."""

    addons: AddonsConfig = AddonsConfig()
    """Cluster add-ons (Helm)."""

    database: DatabaseConfig = DatabaseConfig()
    """PostgreSQL on RDS."""

    cache: CacheConfig = CacheConfig()
    """Valkey on ElastiCache."""

    apps: AppsConfig = AppsConfig()
    """Workloads."""

    monitoring: MonitoringConfig = MonitoringConfig()
    """Monitoring and alerting."""

    backups: BackupsConfig = BackupsConfig()
    """Backups and disaster recovery."""

    cost: CostConfig = CostConfig()
    """Usage assumptions for the plan's monthly cost estimate."""

    @model_validator(mode="after")
    def _cross_section(self) -> StackConfig:
        if self.cluster.service_cidr.overlaps(self.network.cidr):
            raise ValueError(
                f"cluster.serviceCidr {self.cluster.service_cidr} overlaps "
                f"network.cidr {self.network.cidr}"
            )
        if self.protect_stateful_resources:
            if self.database.backup_retention_days < 7:
                raise ValueError(
                    "database.backupRetentionDays must be >= 7 when protectStatefulResources "
                    f"is true (got {self.database.backup_retention_days})"
                )
            if not self.database.deletion_protection:
                raise ValueError(
                    "database.deletionProtection must stay true when protectStatefulResources "
                    "is true"
                )
        if self.backups.dr_region == self.region:
            raise ValueError(
                f"backups.drRegion {self.backups.dr_region} must differ from aws:region"
            )
        return self
