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
from components.elasticache import ElastiCache, ElastiCacheArgs
from components.rds_postgres import RdsPostgres, RdsPostgresArgs
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

    # The data layer needs the VPC and the nodes' security group id, never the cluster itself:
    # RDS and ElastiCache are created in parallel with the control plane.
    db = cfg.database
    database = RdsPostgres(
        f"{env}-postgres",
        RdsPostgresArgs(
            vpc_id=network.vpc_id,
            subnet_ids=network.database_subnet_ids,
            source_security_group_ids=[cluster.node_security_group_id],
            engine_version=db.engine_version,
            instance_class=db.instance_class,
            database_name=db.database_name,
            allocated_storage_gib=db.allocated_storage_gib,
            max_allocated_storage_gib=db.max_allocated_storage_gib,
            multi_az=db.multi_az,
            read_replicas=db.read_replicas,
            backup_retention_days=db.backup_retention_days,
            backup_window=db.backup_window,
            maintenance_window=db.maintenance_window,
            deletion_protection=db.deletion_protection,
            slow_query_ms=db.slow_query_ms,
            max_connections=db.max_connections,
            performance_insights_retention_days=db.performance_insights_retention_days,
            log_retention_days=db.log_retention_days,
            protect=cfg.protect_stateful_resources,
        ),
        opts=aws_opts,
    )
    cc = cfg.cache
    cache = ElastiCache(
        f"{env}-cache",
        ElastiCacheArgs(
            vpc_id=network.vpc_id,
            subnet_ids=network.database_subnet_ids,
            source_security_group_ids=[cluster.node_security_group_id],
            environment=env,
            engine_version=cc.engine_version,
            node_type=cc.node_type,
            cluster_mode=cc.cluster_mode,
            shards=cc.shards,
            replicas_per_shard=cc.replicas_per_shard,
            multi_az=cc.multi_az,
            snapshot_retention_days=cc.snapshot_retention_days,
            snapshot_window=cc.snapshot_window,
            maintenance_window=cc.maintenance_window,
            log_retention_days=cc.log_retention_days,
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
        "databaseEndpoint": database.endpoint,
        "databasePort": database.port,
        "databaseSecretArn": database.master_secret_arn,
        "cacheEndpoint": cache.endpoint,
        "cacheAuthSecretArn": cache.auth_secret_arn,
    }


def run() -> None:
    """The program: load config once, compose, export."""
    cfg, secrets = load_stack_config()
    for name, value in compose(cfg, secrets).items():
        pulumi.export(name, value)
