"""Step 4: the product: its namespace baseline, its workloads (migrations first) and the one
public ALB."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.app_deployment import AppDeployment, AppDeploymentArgs, WorkloadSpec
from components.app_ingress import PublicIngress, PublicIngressArgs, Route
from components.app_namespace import AppNamespace, AppNamespaceArgs, ExistingBucket
from components.cdn import Cdn, CdnArgs, CdnSettings, OriginGuard, origin_guard
from components.certificates import Certificates, CertificatesArgs
from components.database_roles import app_role
from components.keda import Keda, KedaArgs, WorkSource
from components.queues import env_name
from components.web_firewall import WebFirewall, WebFirewallArgs

from ..config.apps import WorkloadConfig
from .cluster import Platform
from .context import Context
from .data import Data
from .network import Network


@dataclass(frozen=True)
class Product:
    namespace: AppNamespace
    deployments: dict[str, AppDeployment]
    public: PublicIngress | None
    alb: aws.lb.GetLoadBalancerResult | None
    """The public ALB, looked up once: the CDN's origin, a standby's failover records and
    the stack outputs a standby reads."""


def product(ctx: Context, net: Network, platform: Platform, stores: Data) -> Product:
    namespace = _namespace(ctx, platform, stores)
    keda = _keda(ctx, platform, stores)
    deployments = app_deployments(ctx, net, platform, stores, namespace, keda)
    public, alb = _public(ctx, platform, namespace, deployments) or (None, None)
    return Product(namespace, deployments, public, alb)


def _namespace(ctx: Context, platform: Platform, stores: Data) -> AppNamespace:
    apps, db, bk, addons = ctx.cfg.apps, ctx.cfg.database, ctx.cfg.backups, platform.addons
    database, cache, roles = stores.database, stores.cache, stores.roles
    return AppNamespace(
        f"{ctx.env}-apps",
        AppNamespaceArgs(
            environment=ctx.env,
            region=ctx.cfg.region,
            namespace=apps.namespace,
            k8s_provider=platform.cluster.k8s_provider,
            database_host=database.endpoint,
            database_port=database.port,
            database_name=database.database_name,
            database_secrets={w: roles.secret_names[app_role(w)] for w in apps.workloads},
            credentials_rotation=db.credentials_rotation,
            credentials_ready=[*roles.secret_versions, *roles.applied],
            queue_urls=(
                {env_name(q): queue.url for q, queue in stores.queues.queues.items()}
                if stores.queues
                else {}
            ),
            kubernetes_version=ctx.cfg.cluster.kubernetes_version,
            cache_host=cache.endpoint,
            cache_port=cache.port,
            cache_secret_arn=cache.auth_secret_arn,
            secret_store=addons.cluster_secret_store_name,
            quota=apps.quota,
            access_log_days=apps.ingress.access_log_days,
            data_replica_provider=(
                ctx.dr_provider if bk.bucket_replication and ctx.primary is None else None
            ),
            existing_data=(
                ExistingBucket(
                    name=ctx.primary.require_output("dataReplicaBucket"),
                    key_arn=ctx.primary.require_output("dataReplicaKeyArn"),
                )
                if ctx.primary is not None
                else None
            ),
            data_backup=bk.app_data_backup,
            ready=addons.ready,
            protect=ctx.protect,
        ),
        opts=ctx.aws_opts,
    )


def _public(
    ctx: Context,
    platform: Platform,
    namespace: AppNamespace,
    deployments: dict[str, AppDeployment],
) -> tuple[PublicIngress, aws.lb.GetLoadBalancerResult] | None:
    apps = ctx.cfg.apps
    ingress = apps.ingress
    if not ingress.enabled:
        return None
    arns, issued = _certificates(ctx)
    guard = None
    if ingress.cdn is not None:
        guard = origin_guard(f"{ctx.env}-cdn", ingress.cdn, ctx.aws_opts, ctx.invoke_opts)
    public = PublicIngress(
        f"{ctx.env}-public",
        PublicIngressArgs(
            environment=ctx.env,
            namespace=apps.namespace,
            routes=[
                Route(r.hosts, r.paths, r.workload, apps.workloads[r.workload].port)
                for r in ingress.routes
            ],
            certificate_arns=arns,
            access_log_bucket=namespace.access_log_bucket.bucket,
            k8s_provider=platform.cluster.k8s_provider,
            ssl_policy=ingress.ssl_policy,
            waf_acl_arn=_firewall(ctx),
            cdn_guard=guard,
            ready=platform.addons.ready,
            depends_on=[deployments[r.workload] for r in ingress.routes],
        ),
        opts=ctx.aws_opts,
    )
    alb = _load_balancer(ctx, public)
    if ingress.cdn is not None and guard is not None:
        _cdn(ctx, ingress.cdn, alb, guard, issued)
    return public, alb


def _cdn(
    ctx: Context,
    settings: CdnSettings,
    alb: aws.lb.GetLoadBalancerResult,
    guard: OriginGuard,
    issued: Certificates | None,
) -> Cdn:
    """CloudFront in front of the ALB."""
    ingress = ctx.cfg.apps.ingress
    return Cdn(
        f"{ctx.env}-cdn",
        CdnArgs(
            environment=ctx.env,
            settings=settings,
            hosts=ingress.hosts,
            origin_domain=alb.dns_name,
            guard=guard,
            zone_id=ingress.hosted_zone.id if ingress.hosted_zone else None,
            zone_records_exist=[issued] if issued else [],
            global_provider=aws.Provider(
                "aws-us-east-1", region="us-east-1", default_tags={"tags": ctx.tags}
            ),
            regional_provider=ctx.provider,
            protect=ctx.protect,
        ),
        opts=ctx.aws_opts,
    )


def _load_balancer(ctx: Context, public: PublicIngress) -> aws.lb.GetLoadBalancerResult:
    """The public ALB, found by name once the controller made it (the program does not create
    it: the AWS Load Balancer Controller does, for the Ingress)."""
    return aws.lb.get_load_balancer_output(  # type: ignore[return-value]
        name=public.load_balancer_name,
        opts=pulumi.InvokeOutputOptions(provider=ctx.provider, depends_on=[public.ingress]),
    )


def _certificates(ctx: Context) -> tuple[list[pulumi.Input[str]], Certificates | None]:
    """The ALB's certificates: the given ARNs, or ones issued in the hosted zone."""
    ingress = ctx.cfg.apps.ingress
    if ingress.certificate_arns or ingress.hosted_zone is None:
        return list(ingress.certificate_arns), None
    issued = Certificates(
        f"{ctx.env}-certificates",
        CertificatesArgs(hosts=ingress.hosts, zone_id=ingress.hosted_zone.id),
        opts=ctx.aws_opts,
    )
    return list(issued.arns), issued


def _firewall(ctx: Context) -> pulumi.Input[str] | None:
    """The web ACL of the public ALB: one the program makes (``waf``), or an existing one."""
    ingress = ctx.cfg.apps.ingress
    if ingress.waf is None:
        return ingress.waf_acl_arn
    return WebFirewall(
        f"{ctx.env}-waf",
        WebFirewallArgs(environment=ctx.env, settings=ingress.waf),
        opts=ctx.aws_opts,
    ).acl_arn


def workload_spec(workload: WorkloadConfig, environment: str, traced: bool) -> WorkloadSpec:
    """The component's view of one workload's config (remote secret names are relative to
    the environment's prefix)."""
    scrape = workload.scrape
    return WorkloadSpec(
        kind=workload.kind,
        image=workload.image,
        command=workload.command,
        args=workload.args,
        port=workload.port,
        replicas=workload.replicas,
        autoscaling=workload.autoscaling,
        cpu_request=workload.resources.cpu_request,
        cpu_limit=workload.resources.cpu_limit,
        memory_request=workload.resources.memory_request,
        memory_limit=workload.resources.memory_limit,
        probe=workload.effective_probe,
        probe_command=workload.probe_command,
        termination_grace_period_seconds=workload.termination_grace_period_seconds,
        env=workload.env,
        s3_access=workload.s3_access,
        expose=workload.exposure,
        liveness_path=workload.health.liveness_path,
        readiness_path=workload.health.readiness_path,
        startup_path=workload.health.startup_path,
        probe_port=workload.probe_port,
        metrics_path=scrape.path if scrape else None,
        metrics_port=workload.metrics_port,
        secrets={
            var: (f"{environment}/{ref.from_secrets_manager}", ref.property)
            for var, ref in workload.secrets.items()
            if ref.from_secrets_manager is not None
        },
        generated_secrets={
            var: ref.generate.length
            for var, ref in workload.secrets.items()
            if ref.generate is not None
        },
        run_as_user=workload.run_as_user,
        run_as_group=workload.run_as_group,
        fs_group=workload.fs_group,
        writable_paths=[(w.path, w.size_limit) for w in workload.writable_paths],
        active_deadline_seconds=workload.active_deadline_seconds,
        traced=traced and workload.kind != "migration",
    )


def _keda(ctx: Context, platform: Platform, stores: Data) -> Keda | None:
    """KEDA, when some worker scales on a queue; its role reads exactly those SQS queues."""
    scaled = [w.autoscaling.queue for w in ctx.cfg.apps.workloads.values()
              if w.autoscaling and w.autoscaling.queue]  # fmt: skip
    if not scaled:
        return None
    sqs = sorted({q.sqs for q in scaled if q.sqs is not None})
    return Keda(
        f"{ctx.env}-keda",
        KedaArgs(
            k8s_provider=platform.cluster.k8s_provider,
            oidc=platform.cluster.oidc,
            replicas=ctx.cfg.addons.controller_replicas,
            queue_arns={q: stores.queues.queues[q].arn for q in sqs} if stores.queues else {},
            ready=platform.addons.ready,
        ),
        opts=ctx.aws_opts,
    )


def app_deployments(
    ctx: Context,
    net: Network,
    platform: Platform,
    stores: Data,
    namespace: AppNamespace,
    keda: Keda | None = None,
) -> dict[str, AppDeployment]:
    """Every workload; migrations first, and the workloads of a migration's image wait for
    it (a failed migration stops their rollout)."""
    apps = ctx.cfg.apps
    made: dict[str, AppDeployment] = {}
    for name in sorted(apps.workloads, key=lambda n: (apps.workloads[n].kind != "migration", n)):
        workload = apps.workloads[name]
        migrations = [
            made[m].workload_resource
            for m in made
            if apps.workloads[m].kind == "migration" and apps.workloads[m].image == workload.image
        ]
        made[name] = AppDeployment(
            f"{ctx.env}-app-{name}",
            _deployment_args(ctx, net, platform, stores, namespace, name, workload, keda)
            # the namespace baseline, and its login role exists before its pods start
            .with_depends_on([namespace, *stores.roles.applied, *migrations]),
            opts=ctx.aws_opts,
        )
    return made


def _queue_grants(stores: Data, workload: WorkloadConfig) -> dict[str, Any]:
    """The workload's queues (``queues.send`` / ``queues.consume``) as IAM grants."""
    access, queues = workload.queues, stores.queues
    if access is None or queues is None:
        return {}
    grants = [(queues.queues[q].arn, "send") for q in access.send] + [
        (queues.queues[q].arn, "consume") for q in access.consume
    ]
    return {"queue_grants": grants, "queue_key_arn": queues.key_arn}


def _work_source(ctx: Context, stores: Data, workload: WorkloadConfig) -> WorkSource | None:
    """Where a queue-scaled worker's waiting work is read: its SQS queue or the cache."""
    queue = workload.autoscaling.queue if workload.autoscaling else None
    if queue is None:
        return None
    if queue.sqs is not None and stores.queues is not None:
        return WorkSource(region=ctx.cfg.region, queue_url=stores.queues.queues[queue.sqs].url)
    return WorkSource(
        region=ctx.cfg.region, cache_host=stores.cache.endpoint, cache_port=stores.cache.port
    )


def _deployment_args(
    ctx: Context,
    net: Network,
    platform: Platform,
    stores: Data,
    namespace: AppNamespace,
    name: str,
    workload: WorkloadConfig,
    keda: Keda | None,
) -> AppDeploymentArgs:
    apps, cluster = ctx.cfg.apps, platform.cluster
    return AppDeploymentArgs(
        environment=ctx.env,
        name=name,
        region=ctx.cfg.region,
        namespace=apps.namespace,
        workload=workload_spec(workload, ctx.env, ctx.cfg.tracing.enabled),
        standby_phase=ctx.standby_phase,
        k8s_provider=cluster.k8s_provider,
        oidc=cluster.oidc,
        load_balancer_subnet_cidrs=[str(c) for c in net.subnets.public],
        data_subnet_cidrs=[str(c) for c in net.subnets.database],
        app_bucket_arn=namespace.data_bucket_arn,
        app_bucket_key_arn=namespace.data_key_arn,
        **_queue_grants(stores, workload),
        work_source=_work_source(ctx, stores, workload),
        keda_ready=keda.ready if keda else (),
        zone_spread=apps.zone_spread,
        callers=workload.allow_from,
        callees={
            callee: other.port
            for callee, other in apps.workloads.items()
            if name in other.allow_from
        },
        secret_store=platform.addons.cluster_secret_store_name,
        protect=ctx.protect,
    )
