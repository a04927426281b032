"""Compose one environment from its validated stack config.

``run`` is the whole program: validate config (fails before any resource exists), build the
components in dependency order, export the outputs. Components get their dependencies as
explicit inputs; nothing here knows which stack it is beyond what the config says.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws

from components.eks_cluster import EksCluster, EksClusterArgs, NodeGroupSpec
from components.vpc import Vpc, VpcArgs

from .config import PROJECT, StackConfig, StackSecrets, load_stack_config
from .config.naming import default_tags


def compose(cfg: StackConfig, secrets: StackSecrets) -> dict[str, Any]:
    """Create every component of the environment; return the stack outputs."""
    env = cfg.environment
    provider = aws.Provider(
        "aws",
        region=cfg.region,
        default_tags={"tags": default_tags(PROJECT, env, cfg.tags)},
    )
    aws_opts = pulumi.ResourceOptions(providers=[provider])

    net = cfg.network
    network = Vpc(
        f"{env}-network",
        VpcArgs(
            region=cfg.region,
            cidr=str(net.cidr),
            az_count=net.az_count,
            nat_gateways=net.nat_gateways,
            flow_log_retention_days=net.flow_logs.retention_days,
            flow_log_traffic_type=net.flow_logs.traffic_type,
            dynamodb_endpoint=net.dynamodb_endpoint,
            interface_endpoints=net.interface_endpoints,
        ),
        opts=aws_opts,
    )

    tags = default_tags(PROJECT, env, cfg.tags)
    cl = cfg.cluster
    cluster = EksCluster(
        f"{env}-eks",
        EksClusterArgs(
            vpc_id=network.vpc_id,
            private_subnet_ids=network.private_subnet_ids,
            node_groups={
                name: NodeGroupSpec(
                    instance_types=group.instance_types,
                    capacity_type=group.capacity_type,
                    min_size=group.min_size,
                    desired_size=group.desired_size,
                    max_size=group.max_size,
                    disk_size_gib=group.disk_size_gib,
                    labels=group.labels,
                    taints=[t.model_dump() for t in group.taints],
                )
                for name, group in cl.node_groups.items()
            },
            kubernetes_version=cl.kubernetes_version,
            endpoint_public_access=cl.endpoint_public_access,
            public_access_cidrs=[str(c) for c in cl.public_access_cidrs],
            admin_role_arns=cl.admin_role_arns,
            service_cidr=str(cl.service_cidr),
            log_retention_days=cl.log_retention_days,
            tags=tags,
            protect=cfg.protect_stateful_resources,
        ),
        opts=aws_opts,
    )

    return {
        "region": cfg.region,
        "vpcId": network.vpc_id,
        "availabilityZones": network.availability_zones,
        "publicSubnetIds": network.public_subnet_ids,
        "privateSubnetIds": network.private_subnet_ids,
        "databaseSubnetIds": network.database_subnet_ids,
        "natPublicIps": network.nat_public_ips,
        "clusterName": cluster.cluster_name,
        "clusterEndpoint": cluster.endpoint,
        "oidcIssuer": cluster.oidc_issuer,
        "kubeconfig": cluster.kubeconfig,
    }


def run() -> None:
    """The program: load config once, compose, export."""
    cfg, secrets = load_stack_config()
    for name, value in compose(cfg, secrets).items():
        pulumi.export(name, value)
