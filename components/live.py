"""What runs now, read from AWS before anything changes: the day-two facts a plan needs.

A config describes the wanted state; some changes are only safe relative to the live one
(EKS upgrades one minor at a time; a node group's desired size belongs to the autoscaler).
These lookups answer "nothing yet" on a first deploy: they list before they describe, so a
missing cluster or node group is an empty answer, never a failed preview. The read-only
preview role can make every call (``eks:ListClusters``, ``DescribeCluster``,
``ListNodegroups``, ``DescribeNodegroup``).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws


@dataclass(frozen=True)
class LiveNodeGroup:
    name: str
    desired_size: int
    min_size: int
    max_size: int


def live_cluster_version(
    cluster_name: str, opts: pulumi.InvokeOutputOptions | None = None
) -> pulumi.Output[str | None]:
    """The running control plane's Kubernetes minor, or None when the cluster does not exist."""

    def describe(names: list[str]) -> pulumi.Output[str | None] | None:
        if cluster_name not in names:
            return None
        return aws.eks.get_cluster_output(name=cluster_name, opts=opts).version

    return aws.eks.get_clusters_output(opts=opts).names.apply(describe)


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
        if group.name.startswith(prefix):
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
