"""The root of the stack-config tree."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints, field_validator, model_validator

from components.log_shipping import LoggingSettings
from components.queues import QueueSettings
from components.regions import COMMERCIAL_REGIONS
from components.tracing import TracingSettings

from .addons import AddonsConfig
from .apps import AppsConfig, WorkloadConfig
from .backups import BackupsConfig
from .base import ConfigModel
from .cache import CacheConfig
from .cluster import ClusterConfig
from .cost import CostConfig
from .database import DatabaseConfig
from .monitoring import MonitoringConfig
from .naming import TagsConfig
from .network import NetworkConfig
from .offerings import Service, offered
from .standby import StandbyConfig

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

    accept_replacement: tuple[Literal["cluster", "database"], ...] = ()
    """Replacements of a live cluster or database this change may cause (``serviceCidr``,
    ``databaseName``: they cannot change in place). Without it such a change is refused
    before anything is touched; remove it again after the deploy."""

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

    logging: LoggingSettings = LoggingSettings()
    """Container logs to CloudWatch Logs."""

    tracing: TracingSettings = TracingSettings()
    """OpenTelemetry traces to AWS X-Ray."""

    queues: dict[
        Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{0,40}$")], QueueSettings
    ] = Field(default_factory=dict)
    """SQS queues by name, each with a dead-letter queue (``components/queues.py``)."""

    backups: BackupsConfig = BackupsConfig()
    """Backups and disaster recovery."""

    cost: CostConfig = CostConfig()
    """Usage assumptions for the plan's monthly cost estimate."""

    standby: StandbyConfig | None = None
    """This stack is a warm standby of another in a second region (README "Warm standby");
    its stack file then sets only what differs from the primary's."""

    @field_validator("queues")
    @classmethod
    def _queue_names(cls, queues: dict[str, QueueSettings]) -> dict[str, QueueSettings]:
        for name in queues:
            if name.endswith("-dlq"):
                raise ValueError(
                    f"{name!r}: a queue name may not end in -dlq (each queue's dead-letter "
                    "queue is <name>-dlq)"
                )
        return queues

    @model_validator(mode="after")
    def _declared_queues(self) -> StackConfig:
        for name, workload in self.apps.workloads.items():
            access = workload.queues
            if access is None:
                continue
            for kind, queues in (("send", access.send), ("consume", access.consume)):
                unknown = sorted(set(queues) - set(self.queues))
                declared = ", ".join(sorted(self.queues)) or "none"
                if unknown:
                    raise ValueError(
                        f"apps.workloads.{name}.queues.{kind}: {', '.join(unknown)} not "
                        f"declared under queues; declared: {declared}"
                    )
        return self

    def _scaled_on(self, name: str, workload: WorkloadConfig) -> None:
        """A worker scales on a queue it consumes, or on a list of a non-cluster cache."""
        queue = workload.autoscaling.queue if workload.autoscaling else None
        if queue is None:
            return
        key = f"apps.workloads.{name}.autoscaling.queue"
        consumed = workload.queues.consume if workload.queues else ()
        if queue.sqs is not None and queue.sqs not in consumed:
            declared = ", ".join(sorted(self.queues)) or "none"
            raise ValueError(
                f"{key}.sqs: {queue.sqs!r} is not a queue this workload consumes "
                f"(queues.consume: {', '.join(consumed) or 'none'}; declared: {declared})"
            )
        if queue.redis_list is not None and self.cache.cluster_mode:
            raise ValueError(
                f"{key}.redisList: needs platform:cache.clusterMode false (a list lives on "
                "one shard; KEDA's redis scaler reads one endpoint)"
            )

    @field_validator("region")
    @classmethod
    def _known_region(cls, region: str) -> str:
        if region not in COMMERCIAL_REGIONS:
            raise ValueError(
                f"unknown region {region!r}; known commercial regions: "
                + ", ".join(sorted(COMMERCIAL_REGIONS))
            )
        return region

    def _unoffered(self) -> list[str]:
        """Instance types the region does not offer, as ``key: message`` lines."""
        wanted: list[tuple[str, Service, str]] = [
            (f"platform:cluster.nodeGroups.{name}.instanceTypes", "ec2", t)
            for name, group in self.cluster.node_groups.items()
            for t in group.instance_types
        ]
        wanted += [
            ("platform:database.instanceClass", "rds-postgres", self.database.instance_class),
            ("platform:cache.nodeType", "elasticache", self.cache.node_type),
        ]
        problems = []
        for key, service, kind in wanted:
            types = offered(self.region, service)
            if types is not None and kind not in types:
                problems.append(f"{key}: {kind} is not offered in {self.region}")
        return problems

    @model_validator(mode="after")
    def _cross_section(self) -> StackConfig:
        unoffered = self._unoffered()
        if unoffered:
            raise ValueError(
                "; ".join(unoffered)
                + " (vendored region offerings: environment/config/offerings.json)"
            )
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
        if not self.cluster.endpoint_public_access and self.cluster.deploy_runner is None:
            raise ValueError(
                "platform:cluster.deployRunner is required when endpointPublicAccess is false: "
                "CI on hosted runners cannot reach a private API endpoint (set "
                "deployRunner.repository and deployRunner.connectionArn; see README "
                "'Deploying to a private cluster')"
            )
        celery = self.apps.celery_workloads
        if self.cache.cluster_mode and celery:
            raise ValueError(
                f"platform:cache.clusterMode: true cannot serve Celery (workloads "
                f"{', '.join(celery)} run celery): Celery's Redis transport does not support "
                "Redis/Valkey cluster mode (celery/celery#2852). Set clusterMode: false with "
                "shards: 1 and replicasPerShard >= 1 (one replica per zone, automatic failover)"
            )
        if self.backups.dr_region == self.region:
            raise ValueError(
                f"backups.drRegion {self.backups.dr_region} must differ from aws:region"
            )
        return self

    @model_validator(mode="after")
    def _cdn_owns_the_hosts(self) -> StackConfig:
        if self.apps.ingress.cdn is not None and self.addons.external_dns.enabled:
            raise ValueError(
                "apps.ingress.cdn with addons.externalDns.enabled: both would own the hosts' "
                "records (external-dns would point them back at the ALB, which admits only "
                "the CDN); turn external-dns off for this stack"
            )
        return self

    @model_validator(mode="after")
    def _queue_scaling_sources(self) -> StackConfig:
        """After the cross-section checks (a Celery cache in cluster mode says so first)."""
        for name, workload in self.apps.workloads.items():
            self._scaled_on(name, workload)
        return self
