"""Step 2: the in-VPC runner, the EKS cluster (judged against the running one) and its
add-ons."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from components.backup_jobs import NAMESPACE as BACKUPS_NAMESPACE
from components.cluster_addons import ClusterAddons, ClusterAddonsArgs
from components.deploy_runner import DeployRunner, DeployRunnerArgs
from components.eks_cluster import EksCluster, EksClusterArgs, NodeGroupSpec
from components.live import live_cluster, live_node_groups
from components.monitoring_stack import NAMESPACE as MONITORING_NAMESPACE

from ..config import replacements
from .context import Context
from .network import Network


@dataclass(frozen=True)
class Platform:
    runner: DeployRunner | None
    cluster: EksCluster
    addons: ClusterAddons


def platform(ctx: Context, net: Network) -> Platform:
    runner = _runner(ctx, net)
    cluster = _cluster(ctx, net, runner)
    return Platform(runner, cluster, _addons(ctx, net, cluster))


def _runner(ctx: Context, net: Network) -> DeployRunner | None:
    cl = ctx.cfg.cluster
    if cl.deploy_runner is None:
        return None
    return DeployRunner(
        f"{ctx.env}-deploy-runner",
        DeployRunnerArgs(
            environment=ctx.env,
            region=ctx.cfg.region,
            vpc_id=net.vpc.vpc_id,
            subnet_ids=net.vpc.private_subnet_ids,
            repository=cl.deploy_runner.repository,
            connection_arn=cl.deploy_runner.connection_arn,
            workflow_names=cl.deploy_runner.workflow_names,
            compute_type=cl.deploy_runner.compute_type,
            log_retention_days=cl.log_retention_days,
        ),
        opts=ctx.aws_opts,
    )


def _node_groups(ctx: Context) -> dict[str, NodeGroupSpec]:
    return {
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
        for name, group in ctx.cfg.cluster.node_groups.items()
    }


def _cluster(ctx: Context, net: Network, runner: DeployRunner | None) -> EksCluster:
    cl, cfg = ctx.cfg.cluster, ctx.cfg
    # EKS changes are judged against the running cluster (nothing yet on a first deploy)
    running = live_cluster(f"{ctx.env}-eks", ctx.invoke_opts)
    return EksCluster(
        f"{ctx.env}-eks",
        EksClusterArgs(
            vpc_id=net.vpc.vpc_id,
            private_subnet_ids=net.vpc.private_subnet_ids,
            zone_subnet_ids=net.vpc.private_subnet_ids_by_zone,
            node_groups=_node_groups(ctx),
            kubernetes_version=cl.kubernetes_version,
            control_plane_version=running.apply(lambda c: replacements.cluster_version(c, cfg)),
            live_node_groups=live_node_groups(
                f"{ctx.env}-eks", running.apply(lambda c: c is not None), ctx.invoke_opts
            ),
            endpoint_public_access=cl.endpoint_public_access,
            public_access_cidrs=[str(c) for c in cl.public_access_cidrs],
            access_entries={
                **dict.fromkeys(cl.admin_role_arns, "cluster-admin"),
                **{e.principal_arn: e.access for e in cl.access_entries},
            },
            api_client_security_group_ids=[runner.security_group_id] if runner else [],
            service_cidr=str(cl.service_cidr),
            log_retention_days=cl.log_retention_days,
            tags=ctx.tags,
            protect=ctx.protect,
        ),
        opts=ctx.aws_opts,
    )


def _addons(ctx: Context, net: Network, cluster: EksCluster) -> ClusterAddons:
    ad, cfg = ctx.cfg.addons, ctx.cfg
    dns = ad.external_dns
    return ClusterAddons(
        f"{ctx.env}-addons",
        ClusterAddonsArgs(
            environment=ctx.env,
            cluster_name=cluster.cluster_name,
            region=cfg.region,
            vpc_id=net.vpc.vpc_id,
            oidc=cluster.oidc,
            k8s_provider=cluster.k8s_provider,
            kubeconfig=cluster.kubeconfig,
            pod_security_group_id=cluster.cluster_security_group_id,
            load_balancer_prefix=ctx.env,
            metrics_server=ad.metrics_server,
            aws_load_balancer_controller=ad.aws_load_balancer_controller,
            cert_manager=ad.cert_manager,
            external_secrets=ad.external_secrets,
            cluster_autoscaler=ad.cluster_autoscaler,
            reloader=ad.reloader,
            external_dns_zone_id=dns.hosted_zone_id if dns.enabled else None,
            external_dns_domain=dns.domain if dns.enabled else None,
            controller_replicas=ad.controller_replicas,
            kubernetes_version=cfg.cluster.kubernetes_version,
            secret_store_namespaces=(cfg.apps.namespace, MONITORING_NAMESPACE, BACKUPS_NAMESPACE),
        ),
        opts=pulumi.ResourceOptions(providers=[ctx.provider], depends_on=cluster.node_groups),
    )
