"""Deploy-time model: the critical path of a first ``pulumi up`` from the dependency graph.

Pulumi creates a resource as soon as everything it depends on exists, so with unbounded
parallelism the first ``up`` takes as long as the longest chain of creation times. The chain is
computed from the plan's dependency edges (``depends_on``, property dependencies, parents'
dependencies) and :data:`CREATE_SECONDS`, typical creation times observed for each type.

It also flags *false serialisation*: a long-running resource that (transitively) waits for a
long-running resource of an unrelated family — e.g. RDS waiting for the EKS cluster — which
adds the two creation times where they could overlap.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

from policies.graph import Resource, ResourceGraph

CREATE_SECONDS: dict[str, int] = {
    "eks:index:Cluster": 660,
    "aws:eks/cluster:Cluster": 600,
    "eks:index:ManagedNodeGroup": 240,
    "aws:eks/nodeGroup:NodeGroup": 240,
    "aws:eks/addon:Addon": 90,
    "aws:rds/instance:Instance": 600,
    "aws:elasticache/replicationGroup:ReplicationGroup": 720,
    "aws:ec2/natGateway:NatGateway": 120,
    "aws:ec2/vpcEndpoint:VpcEndpoint": 90,
    "aws:ec2/launchTemplate:LaunchTemplate": 5,
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": 5,
    "aws:kms/key:Key": 5,
    "aws:s3/bucket:Bucket": 5,
    "aws:backup/vault:Vault": 5,
    "aws:backup/plan:Plan": 5,
    "aws:secretsmanager/secret:Secret": 3,
    "aws:cloudwatch/logGroup:LogGroup": 2,
    "aws:iam/role:Role": 3,
    "kubernetes:helm.sh/v3:Release": 120,
    "kubernetes:apps/v1:Deployment": 60,
    "kubernetes:networking.k8s.io/v1:Ingress": 150,
}
"""Typical creation seconds by type (AWS docs and observed ``pulumi up`` timings). Notable:
EKS control plane ~10 min (+1 for pulumi-eks' OIDC provider and auth), node group ~4 min,
single-AZ RDS ~10 min, ElastiCache replication group ~12 min, a Helm release that waits for its
pods ~2 min, an Ingress waits for the controller's ALB ~2.5 min."""

PROMOTE_REPLICA_SECONDS = 600
"""Promoting a read replica: RDS reboots it into a standalone instance ("several minutes or
longer, depending on the size", RDS User Guide, "Promoting a read replica")."""
FAILOVER_DECISION_SECONDS = 600
"""From the outage to ``uv run failover --execute``: paged, the region confirmed down, decided."""
FAILOVER_UP_SECONDS = 420
"""The failover's ``pulumi refresh --target`` and ``pulumi up`` before anything scales:
previews of a few hundred resources (3 min), the instance taking the standby's master password
(``ModifyDBInstance``, then available again: 2 min) and the roles Job applying the logins as
the master (its pod and ``psql``: 2 min; the ExternalSecrets it reads exist already)."""

MULTI_AZ_RDS_SECONDS = 1050
"""Multi-AZ RDS (~15-20 min): the standby is created and synchronised before it is available."""
CLUSTER_MODE_CACHE_SECONDS = 900
DEFAULT_CUSTOM_SECONDS = 2
"""Any other API call that returns when the object exists (IAM policy, route, k8s object)."""

LONG_RUNNING_SECONDS = 300
FAMILIES = {
    "eks:index:Cluster": "cluster",
    "aws:eks/cluster:Cluster": "cluster",
    "eks:index:ManagedNodeGroup": "cluster",
    "aws:eks/nodeGroup:NodeGroup": "cluster",
    "aws:rds/instance:Instance": "database",
    "aws:elasticache/replicationGroup:ReplicationGroup": "cache",
}
"""Long-running resources that belong together; a wait across families is false serialisation
(the data layer needs the VPC and the nodes' security group id, never the cluster itself)."""


def create_seconds(resource: Resource) -> int:
    """Modelled creation time of one resource (components and providers take no time)."""
    if resource.type == "aws:rds/instance:Instance" and resource.inputs.get("multiAz"):
        return MULTI_AZ_RDS_SECONDS
    if resource.type == "aws:elasticache/replicationGroup:ReplicationGroup" and resource.inputs.get(
        "numNodeGroups"
    ):
        return CLUSTER_MODE_CACHE_SECONDS
    if resource.type in CREATE_SECONDS:
        return CREATE_SECONDS[resource.type]
    if not resource.custom or resource.type.startswith("pulumi:providers:"):
        return 0
    return DEFAULT_CUSTOM_SECONDS


@dataclass(frozen=True)
class Step:
    name: str
    type: str
    seconds: int
    finishes_at: int


@dataclass(frozen=True)
class FalseSerialisation:
    waiting: str
    waits_for: str
    chain: tuple[str, ...]
    added_seconds: int


@dataclass(frozen=True)
class DeployTime:
    critical_path: tuple[Step, ...]
    false_serialisations: tuple[FalseSerialisation, ...]

    @property
    def total_seconds(self) -> int:
        return self.critical_path[-1].finishes_at if self.critical_path else 0

    def to_json(self) -> dict[str, Any]:
        return {
            "totalSeconds": self.total_seconds,
            "criticalPath": [
                {"name": s.name, "type": s.type, "seconds": s.seconds, "finishesAt": s.finishes_at}
                for s in self.critical_path
            ],
            "falseSerialisations": [
                {
                    "waiting": f.waiting,
                    "waitsFor": f.waits_for,
                    "chain": list(f.chain),
                    "addedSeconds": f.added_seconds,
                }
                for f in self.false_serialisations
            ],
        }


def dependency_map(graph: ResourceGraph) -> dict[str, tuple[str, ...]]:
    """Direct creation dependencies of each resource, with component dependencies expanded,
    and the resource's provider (as Pulumi waits for a provider before using it).

    A dependency on a component means all its descendants; a resource also waits for what its
    parent components depend on (Pulumi propagates a component's ``depends_on`` to children).
    """
    by_urn = graph.by_urn()

    def expand(urns: Iterable[str]) -> set[str]:
        out: set[str] = set()
        for urn in urns:
            dep = by_urn.get(urn)
            if dep is None:
                continue
            if dep.custom or dep.type in CREATE_SECONDS:
                out.add(urn)
            else:
                out.update(
                    d.urn for d in graph.descendants(urn) if d.custom or d.type in CREATE_SECONDS
                )
        return out

    deps: dict[str, tuple[str, ...]] = {}
    for r in graph:
        direct = set(r.dependencies)
        if r.provider:
            # a resource waits for its provider (the Kubernetes provider waits for the nodes,
            # coredns and the EBS CSI driver): "<provider urn>::<id>"
            direct.add(r.provider.rsplit("::", 1)[0])
        for prop in r.property_dependencies.values():
            direct.update(prop)
        parent = by_urn.get(r.parent) if r.parent else None
        while parent is not None and not parent.custom:
            direct.update(parent.dependencies)
            parent = by_urn.get(parent.parent) if parent.parent else None
        deps[r.urn] = tuple(sorted(expand(direct) - {r.urn}))
    return deps


def analyse(graph: ResourceGraph) -> DeployTime:
    """Critical path and false serialisations of a first ``pulumi up`` of ``graph``."""
    by_urn = graph.by_urn()
    deps = dependency_map(graph)

    @cache
    def finish(urn: str) -> tuple[int, str | None]:
        best, via = 0, None
        for dep in deps.get(urn, ()):
            t, _ = finish(dep)
            if t > best:
                best, via = t, dep
        return best + create_seconds(by_urn[urn]), via

    if not len(graph):
        return DeployTime((), ())
    end = max(by_urn, key=lambda u: (finish(u)[0], u))
    path: list[Step] = []
    urn: str | None = end
    while urn is not None:
        r = by_urn[urn]
        t, via = finish(urn)
        if create_seconds(r):
            path.append(Step(r.name, r.type, create_seconds(r), t))
        urn = via
    path.reverse()

    @cache
    def ancestors(urn: str) -> frozenset[str]:
        out: set[str] = set()
        for dep in deps.get(urn, ()):
            out.add(dep)
            out |= ancestors(dep)
        return frozenset(out)

    def chain(start: str, target: str) -> tuple[str, ...]:
        # Follow any dependency that still reaches the target, for a readable explanation.
        names = [by_urn[start].name]
        current = start
        while current != target:
            nxt = next(d for d in deps[current] if d == target or target in ancestors(d))
            names.append(by_urn[nxt].name)
            current = nxt
        return tuple(names)

    long = [r for r in graph if r.type in FAMILIES and create_seconds(r) >= LONG_RUNNING_SECONDS]
    flagged: list[FalseSerialisation] = []
    for r in long:
        for other in long:
            if FAMILIES[r.type] != FAMILIES[other.type] and other.urn in ancestors(r.urn):
                flagged.append(
                    FalseSerialisation(
                        r.name, other.name, chain(r.urn, other.urn), create_seconds(other)
                    )
                )
    return DeployTime(tuple(path), tuple(flagged))


def longest_chain_through(graph: ResourceGraph, excluded_families: Iterable[str]) -> int:
    """Length in seconds of the longest dependency chain that avoids the given families'
    long-running resources (used to check that the data layer adds no false serialisation)."""
    excluded = set(excluded_families)
    kept = tuple(r for r in graph if FAMILIES.get(r.type) not in excluded)
    return analyse(ResourceGraph(kept)).total_seconds
