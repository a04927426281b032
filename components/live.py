"""What runs now, read from AWS before anything changes: the day-two facts a plan needs.

A config describes the wanted state; some changes are only safe relative to the live one
(EKS upgrades one minor at a time; a node group's desired size belongs to the autoscaler).
These lookups answer "nothing yet" on a first deploy: they list before they describe, so a
missing cluster or node group is an empty answer, never a failed preview. The read-only
preview role can make every call (``eks:ListClusters``, ``DescribeCluster``,
``ListNodegroups``, ``DescribeNodegroup``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws


@dataclass(frozen=True)
class LiveNodeGroup:
    name: str
    desired_size: int
    min_size: int
    max_size: int


def _field(value: object, attribute: str, wire: str) -> str:
    """A field of a nested invoke result: the SDK's output type, or its plain mapping."""
    if hasattr(value, attribute):
        return str(getattr(value, attribute))
    mapping = dict(value)  # type: ignore[call-overload]
    return str(mapping.get(wire, mapping.get(attribute)))


@dataclass(frozen=True)
class LiveCluster:
    version: str
    service_cidr: str


def live_cluster(
    cluster_name: str, opts: pulumi.InvokeOutputOptions | None = None
) -> pulumi.Output[LiveCluster | None]:
    """The running control plane (Kubernetes minor, Service CIDR), or None before it exists."""

    def describe(names: list[str]) -> pulumi.Output[LiveCluster] | None:
        if cluster_name not in names:
            return None
        cluster = aws.eks.get_cluster_output(name=cluster_name, opts=opts)
        return pulumi.Output.all(cluster.version, cluster.kubernetes_network_configs).apply(
            lambda a: LiveCluster(a[0], _field(a[1][0], "service_ipv4_cidr", "serviceIpv4Cidr"))
        )

    return aws.eks.get_clusters_output(opts=opts).names.apply(describe)


def live_database_name(
    identifier: str, opts: pulumi.InvokeOutputOptions | None = None
) -> pulumi.Output[str | None]:
    """The running database instance's initial database name, or None before it exists."""

    def describe(found: list[str]) -> pulumi.Output[str] | None:
        if identifier not in found:
            return None
        return aws.rds.get_instance_output(db_instance_identifier=identifier, opts=opts).db_name

    instances = aws.rds.get_instances_output(
        filters=[{"name": "db-instance-id", "values": [identifier]}], opts=opts
    )
    return instances.instance_identifiers.apply(describe)


def live_node_groups(
    cluster_name: str, cluster_exists: pulumi.Output[bool], opts: pulumi.InvokeOutputOptions
) -> pulumi.Output[list[LiveNodeGroup]]:
    """Every managed node group of the running cluster with its current scaling config."""

    def list_groups(exists: bool) -> pulumi.Output[list[LiveNodeGroup]] | list[LiveNodeGroup]:
        if not exists:
            return []
        names = aws.eks.get_node_groups_output(cluster_name=cluster_name, opts=opts).names
        return names.apply(lambda ns: pulumi.Output.all(*[describe(n) for n in sorted(ns)]))

    def describe(name: str) -> pulumi.Output[LiveNodeGroup]:
        group = aws.eks.get_node_group_output(
            cluster_name=cluster_name, node_group_name=name, opts=opts
        )
        return group.scaling_configs.apply(
            lambda configs: LiveNodeGroup(
                name, configs[0].desired_size, configs[0].min_size, configs[0].max_size
            )
        )

    return cluster_exists.apply(list_groups)


def desired_size(live: list[LiveNodeGroup], prefix: str, min_size: int, max_size: int,
                 initial: int) -> int:  # fmt: skip
    """The desired size to send for the node group named ``<prefix><suffix>``: the configured
    one on creation; afterwards the live one (the autoscaler owns it), moved only as far as
    the new bounds require. Sending the live value means a raised ``minSize`` lifts the group
    to it instead of failing ("minimum capacity can't be greater than desired size"), a
    lowered ``maxSize`` shrinks it, and nothing else ever scales a group in."""
    for group in live:
        # node_group_name_prefix: the prefix then a 26-digit unique id (Terraform's
        # PrefixedUniqueId), so "app-" never matches "app-large-..."
        if re.fullmatch(re.escape(prefix) + r"\d{26}", group.name):
            return min(max(group.desired_size, min_size), max_size)
    return initial


def live_claim_sizes(
    environment: str,
    namespace: str,
    claims: list[str],
    opts: pulumi.InvokeOutputOptions | None = None,
) -> pulumi.Output[dict[str, int]]:
    """GiB of the EBS volume behind each existing PersistentVolumeClaim (by the tags the EBS
    CSI driver and the platform's StorageClass put on every volume); absent claims omitted."""

    def size_of(claim: str) -> pulumi.Output[tuple[str, int | None]]:
        ids = aws.ebs.get_ebs_volumes_output(
            tags={
                "kubernetes.io/created-for/pvc/name": claim,
                "kubernetes.io/created-for/pvc/namespace": namespace,
                "environment": environment,
            },
            opts=opts,
        ).ids

        def describe(found: list[str]) -> pulumi.Output[tuple[str, int | None]] | tuple:
            if not found:
                return (claim, None)
            volume = aws.ebs.get_volume_output(
                filters=[{"name": "volume-id", "values": [sorted(found)[0]]}], opts=opts
            )
            return volume.size.apply(lambda gib: (claim, gib))

        return ids.apply(describe)

    return pulumi.Output.all(*[size_of(c) for c in claims]).apply(
        lambda pairs: {claim: gib for claim, gib in pairs if gib is not None}
    )
