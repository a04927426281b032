"""A warm standby of another stack in a second region (``platform:standby``).

The standby's stack file names its primary (``primaryStack``) and sets only what differs: its
region, its VPC range, its certificates, its scaled-down sizes. Everything else (workloads,
images, database and cache settings) is the primary's, read from the primary's committed stack
file (``loader.inherit``), so a new image or workload reaches both by one change. The primary's
live values (the database's ARN, the ALB, the media replica) come from the primary's stack
outputs through a ``StackReference``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Literal

from pydantic import Field, field_validator

from .apps import HostedZone, WorkloadConfig
from .base import ConfigModel

if TYPE_CHECKING:
    from .model import StackConfig

CacheStandby = Literal["cold", "global"]


class ScaledDownConfig(ConfigModel):
    """What runs while standing by (before ``promoted``)."""

    nodes_per_group: int = Field(default=1, ge=1, le=10)
    """Nodes of every node group (its min and desired size, never above the primary's; the max
    is kept, so the autoscaler can still add nodes). At least 1: the add-ons' pods run while
    standing by."""

    replicas: Literal[0, 1] = 0
    """Replicas of every workload while standing by. At 0 a CPU-scaled workload runs without
    its HPA (an HPA does not scale up from zero); promoted, its Deployment is replaced at its
    minimum replicas. At 1 its pods pull the images and keep them on the nodes, but never
    become ready before promotion (they cannot log in to the replica): Pulumi does not wait
    for them, and their not-ready alerts fire. A scheduler (Celery beat) always stands by at
    0 (two would run every periodic task twice); a migration runs no Job until promoted."""


class HealthCheckConfig(ConfigModel):
    """Route 53's health check of the primary's ALB (its TCP listener on 443). Together with
    the ALB's own target health (``evaluateTargetHealth``) it decides the failover."""

    request_interval_seconds: Literal[10, 30] = 10
    """Seconds between checks from each checker (10 is the fast, paid interval; it cannot
    change after creation)."""

    failure_threshold: int = Field(default=3, ge=1, le=10)
    """Consecutive failures before the primary counts as down."""


class FailoverDnsConfig(ConfigModel):
    """Failover records for each public host of the ingress: PRIMARY at the primary's ALB
    (health checked), SECONDARY at this standby's ALB."""

    hosted_zone: HostedZone
    """The public zone holding every host. The hosts' records belong to this stack from now
    on: delete records made elsewhere first (README "Warm standby")."""

    health_check: HealthCheckConfig = HealthCheckConfig()
    """How the primary is judged down."""


class StandbyConfig(ConfigModel):
    """This stack stands by for ``primaryStack`` in another region (README "Warm standby")."""

    primary_stack: str = Field(pattern=r"^[a-z][a-z0-9-]{1,15}$")
    """The primary's stack name (its committed ``Pulumi.<name>.yaml`` and its outputs).
    Required."""

    promoted: bool = False
    """Set by ``uv run failover <stack> --execute`` after it promoted the replica: the database
    is standalone from then on (the same instance: never re-created as a replica), the workloads
    and node groups run at their full sizes and the failover record points here."""

    cache: CacheStandby = "cold"
    """``cold``: an empty cache of this stack's own (a failover loses what the primary's held:
    sessions, Celery's queued tasks; the plan compares that with
    ``cache.regionLossRpoMinutes``). ``global`` (a secondary of an ElastiCache global
    datastore) is refused for now: a member of a global datastore refuses modifications, so a
    later change of the primary's cache would fail the primary's ``pulumi up``."""

    @field_validator("cache")
    @classmethod
    def _cold_only(cls, value: str) -> str:
        if value == "global":
            raise ValueError(
                "global (an ElastiCache global datastore secondary) is not offered: a member of "
                "a global datastore refuses modifications, so a later change of the primary's "
                "cache.nodeType or parameters would fail the primary's `pulumi up` unless the "
                "primary owned the datastore; use cold (README 'Warm standby')"
            )
        return value

    scaled_down: ScaledDownConfig = ScaledDownConfig()
    """Sizes while standing by."""

    ecr_replica: bool = True
    """Pull the inherited images from this region's ECR: ``<account>.dkr.ecr.<primary's
    region>.amazonaws.com/...`` becomes this region's registry (ECR replication, a registry
    setting of the account, must copy the repositories here: README "Warm standby"). Off: pull
    across regions, which fails when the primary's region is lost."""

    dns: FailoverDnsConfig | None = None
    """Route 53 failover records (None: DNS is switched some other way)."""


def scaled_down(cfg: StackConfig) -> StackConfig:
    """``cfg`` as it runs while standing by: node groups at ``nodesPerGroup`` nodes (max kept)
    and every workload at ``replicas`` (at 0 a CPU-scaled one without its HPA; a scheduler
    at 0 always). A promoted standby, or a stack that is no standby, is returned as it is."""
    standby = cfg.standby
    if standby is None or standby.promoted:
        return cfg
    nodes, replicas = standby.scaled_down.nodes_per_group, standby.scaled_down.replicas
    groups = {
        name: group.model_copy(
            update={
                "min_size": min(nodes, group.min_size),
                "desired_size": min(nodes, group.desired_size),
            }
        )
        for name, group in cfg.cluster.node_groups.items()
    }
    workloads = {name: _scaled_workload(w, replicas) for name, w in cfg.apps.workloads.items()}
    return cfg.model_copy(
        update={
            "cluster": cfg.cluster.model_copy(update={"node_groups": groups}),
            "apps": cfg.apps.model_copy(update={"workloads": workloads}),
        }
    )


def _scaled_workload(workload: WorkloadConfig, replicas: int) -> WorkloadConfig:
    if workload.kind == "migration":  # its Job waits for the promotion (AppDeployment)
        return workload
    if workload.kind == "scheduler":
        return workload.model_copy(update={"replicas": 0})
    scaling = workload.autoscaling
    if scaling is None or (replicas == 0 and scaling.queue is None):
        # a CPU-scaled workload at 0 runs without its HPA (which does not scale up from zero);
        # promoted, its Deployment is replaced at its minimum (``AppDeploymentArgs.standby_phase``)
        return workload.model_copy(
            update={"replicas": min(replicas, workload.replicas), "autoscaling": None}
        )
    floor = replicas if scaling.queue is not None else 1
    return workload.model_copy(
        update={
            "autoscaling": scaling.model_copy(
                update={"min_replicas": min(floor, scaling.min_replicas)}
            )
        }
    )


def regional_images(cfg: StackConfig, primary_region: str) -> StackConfig:
    """A standby's workloads with their primary-region ECR images from this region's
    replica (``ecrReplica``); any other image as it is."""
    if cfg.standby is None or not cfg.standby.ecr_replica:
        return cfg
    registry = re.compile(rf"^(\d{{12}})\.dkr\.ecr\.{re.escape(primary_region)}\.amazonaws\.com/")
    workloads = {
        name: w.model_copy(
            update={"image": registry.sub(rf"\1.dkr.ecr.{cfg.region}.amazonaws.com/", w.image)}
        )
        for name, w in cfg.apps.workloads.items()
    }
    return cfg.model_copy(update={"apps": cfg.apps.model_copy(update={"workloads": workloads})})
