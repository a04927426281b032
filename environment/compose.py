"""Compose one environment from its validated stack config.

``run`` is the whole program: validate config (fails before any resource exists), build the
components in dependency order, export the outputs. Components get their dependencies as
explicit inputs; nothing here knows which stack it is beyond what the config says.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pulumi
import pulumi_aws as aws

from components._util import plan_subnets
from components.app_deployment import AppDeployment, AppDeploymentArgs, WorkloadSpec
from components.app_ingress import PublicIngress, PublicIngressArgs, Route
from components.app_namespace import AppNamespace, AppNamespaceArgs, Quota, external_secrets_grant
from components.backup_jobs import NAMESPACE as BACKUPS_NAMESPACE
from components.backup_jobs import BackupJobs, BackupJobsArgs
from components.cluster_addons import ClusterAddons, ClusterAddonsArgs
from components.database_roles import (
    BACKUP_ROLE,
    MONITORING_ROLE,
    DatabaseRoles,
    DatabaseRolesArgs,
    app_role,
)
from components.deploy_runner import DeployRunner, DeployRunnerArgs
from components.eks_cluster import EksCluster, EksClusterArgs, NodeGroupSpec
from components.elasticache import ElastiCache, ElastiCacheArgs
from components.live import live_claim_sizes, live_cluster, live_database_name, live_node_groups
from components.monitoring.alertmanager import (
    PAGERDUTY_ROUTING_KEY,
    SLACK_WEBHOOK,
    receiver_secret_name,
)
from components.monitoring.rules import RuleThresholds
from components.monitoring_stack import NAMESPACE as MONITORING_NAMESPACE
from components.monitoring_stack import (
    MonitoringStack,
    MonitoringStackArgs,
    ScrapeTarget,
    prometheus_claims,
)
from components.rds_postgres import RdsPostgres, RdsPostgresArgs
from components.vpc import Vpc, VpcArgs

from .config import PROJECT, StackConfig, load_stack_config, replacements
from .config.apps import WorkloadConfig
from .config.naming import default_tags


def compose(cfg: StackConfig) -> dict[str, Any]:
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
    runner = (
        DeployRunner(
            f"{env}-deploy-runner",
            DeployRunnerArgs(
                environment=env,
                region=cfg.region,
                vpc_id=network.vpc_id,
                subnet_ids=network.private_subnet_ids,
                repository=cl.deploy_runner.repository,
                connection_arn=cl.deploy_runner.connection_arn,
                workflow_names=cl.deploy_runner.workflow_names,
                compute_type=cl.deploy_runner.compute_type,
                log_retention_days=cl.log_retention_days,
            ),
            opts=aws_opts,
        )
        if cl.deploy_runner
        else None
    )
    # EKS changes are judged against the running cluster (nothing yet on a first deploy)
    invoke_opts = pulumi.InvokeOutputOptions(provider=provider)
    running = live_cluster(f"{env}-eks", invoke_opts)
    cluster = EksCluster(
        f"{env}-eks",
        EksClusterArgs(
            vpc_id=network.vpc_id,
            private_subnet_ids=network.private_subnet_ids,
            zone_subnet_ids=network.private_subnet_ids_by_zone,
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
            control_plane_version=running.apply(lambda c: replacements.cluster_version(c, cfg)),
            live_node_groups=live_node_groups(
                f"{env}-eks", running.apply(lambda c: c is not None), invoke_opts
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
            tags=tags,
            protect=cfg.protect_stateful_resources,
        ),
        opts=aws_opts,
    )

    ad = cfg.addons
    addons = ClusterAddons(
        f"{env}-addons",
        ClusterAddonsArgs(
            environment=env,
            cluster_name=cluster.cluster_name,
            region=cfg.region,
            vpc_id=network.vpc_id,
            oidc=cluster.oidc,
            k8s_provider=cluster.k8s_provider,
            kubeconfig=cluster.kubeconfig,
            pod_security_group_id=cluster.cluster_security_group_id,
            load_balancer_prefix=env,
            metrics_server=ad.metrics_server,
            aws_load_balancer_controller=ad.aws_load_balancer_controller,
            cert_manager=ad.cert_manager,
            external_secrets=ad.external_secrets,
            cluster_autoscaler=ad.cluster_autoscaler,
            reloader=ad.reloader,
            external_dns_zone_id=ad.external_dns.hosted_zone_id
            if ad.external_dns.enabled
            else None,
            external_dns_domain=ad.external_dns.domain if ad.external_dns.enabled else None,
            controller_replicas=ad.controller_replicas,
            kubernetes_version=cl.kubernetes_version,
            secret_store_namespaces=(
                cfg.apps.namespace,
                MONITORING_NAMESPACE,
                BACKUPS_NAMESPACE,
            ),
        ),
        opts=pulumi.ResourceOptions(providers=[provider], depends_on=cluster.node_groups),
    )

    # The data layer needs the VPC and the nodes' security group id, never the cluster itself:
    # RDS and ElastiCache are created in parallel with the control plane.
    db = cfg.database
    database = RdsPostgres(
        f"{env}-postgres",
        RdsPostgresArgs(
            apply_immediately=db.apply_immediately,
            vpc_id=network.vpc_id,
            subnet_ids=network.database_subnet_ids,
            source_security_group_ids=[cluster.node_security_group_id],
            engine_version=db.engine_version,
            instance_class=db.instance_class,
            database_name=live_database_name(f"{env}-postgres", invoke_opts).apply(
                lambda live: replacements.database_name(live, cfg)
            ),
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
            apply_immediately=cc.apply_immediately,
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
            availability_zones=network.availability_zones,
            snapshot_retention_days=cc.snapshot_retention_days,
            snapshot_window=cc.snapshot_window,
            maintenance_window=cc.maintenance_window,
            log_retention_days=cc.log_retention_days,
            protect=cfg.protect_stateful_resources,
        ),
        opts=aws_opts,
    )

    apps = cfg.apps
    subnet_plan = plan_subnets(net.cidr, net.az_count)
    # every consumer of the database logs in as itself (never the master user)
    roles = DatabaseRoles(
        f"{env}-db-roles",
        DatabaseRolesArgs(
            environment=env,
            region=cfg.region,
            k8s_provider=cluster.k8s_provider,
            database_host=database.endpoint,
            database_name=db.database_name,
            master_secret_arn=database.master_secret_arn,
            kms_key_arn=database.kms_key_arn,
            roles={
                **{app_role(w): "app" for w in apps.workloads},
                MONITORING_ROLE: "monitoring",
                BACKUP_ROLE: "backup",
            },
            data_subnet_cidrs=[str(c) for c in subnet_plan.database],
            engine_version=db.engine_version,
            rotation=db.credentials_rotation,
            kubernetes_version=cl.kubernetes_version,
            secret_store=addons.cluster_secret_store_name,
            protect=cfg.protect_stateful_resources,
            ready=addons.ready,
            external_secrets_role=addons.external_secrets_role,
        ),
        opts=aws_opts,
    )
    namespace = AppNamespace(
        f"{env}-apps",
        AppNamespaceArgs(
            environment=env,
            region=cfg.region,
            namespace=apps.namespace,
            k8s_provider=cluster.k8s_provider,
            database_host=database.endpoint,
            database_port=database.port,
            database_name=database.database_name,
            database_secrets={w: roles.secret_names[app_role(w)] for w in apps.workloads},
            credentials_rotation=db.credentials_rotation,
            credentials_ready=[*roles.secret_versions, roles.job],
            kubernetes_version=cl.kubernetes_version,
            cache_host=cache.endpoint,
            cache_port=cache.port,
            cache_secret_arn=cache.auth_secret_arn,
            secret_store=addons.cluster_secret_store_name,
            quota=Quota(**apps.quota.model_dump()),
            access_log_days=apps.ingress.access_log_days,
            ready=addons.ready,
            protect=cfg.protect_stateful_resources,
        ),
        opts=aws_opts,
    )
    receivers = alert_receiver_secrets(cfg, provider)
    if addons.external_secrets_role is not None:
        external_secrets_grant(
            f"{env}-external-secrets-data",
            role=addons.external_secrets_role,
            # not the master secret: only db-admin reads it, through its own store and role
            secret_arns=[cache.auth_secret_arn, *(r.arn for r in receivers.values())],
            key_arns=[
                database.kms_key_arn,
                cache.kms_key_arn,
                *(_key_arn(r.kms_key_id, invoke_opts) for r in receivers.values()),
            ],
            region=cfg.region,
            opts=aws_opts,
        )
    deployments = app_deployments(cfg, cluster, namespace, addons, roles, subnet_plan, aws_opts)
    public = None
    if apps.ingress.enabled:
        public = PublicIngress(
            f"{env}-public",
            PublicIngressArgs(
                environment=env,
                namespace=apps.namespace,
                routes=[
                    Route(r.hosts, r.paths, r.workload, apps.workloads[r.workload].port)
                    for r in apps.ingress.routes
                ],
                certificate_arns=apps.ingress.certificate_arns,
                access_log_bucket=namespace.access_log_bucket.bucket,
                k8s_provider=cluster.k8s_provider,
                ssl_policy=apps.ingress.ssl_policy,
                waf_acl_arn=apps.ingress.waf_acl_arn,
                ready=addons.ready,
                depends_on=[deployments[r.workload] for r in apps.ingress.routes],
            ),
            opts=aws_opts,
        )

    mon = cfg.monitoring
    t = mon.thresholds
    ingresses = {public.load_balancer_name: public.ingress} if public else {}
    monitoring = MonitoringStack(
        f"{env}-monitoring",
        MonitoringStackArgs(
            environment=env,
            region=cfg.region,
            k8s_provider=cluster.k8s_provider,
            storage_class=cluster.storage_class_name,
            app_namespace=apps.namespace,
            scrape_targets=[
                ScrapeTarget(
                    name,
                    "http" if w.metrics_port == w.port and w.kind == "http" else "metrics",
                    w.scrape.path,
                )
                for name, w in sorted(apps.workloads.items())
                if w.scrape is not None
            ],
            extra_alerts=[a.rule() for a in mon.extra_alerts],
            prometheus_retention_days=mon.prometheus_retention_days,
            prometheus_storage_gib=mon.prometheus_storage_gib,
            prometheus_replicas=mon.prometheus_replicas,
            live_claim_gib=live_claim_sizes(
                env, MONITORING_NAMESPACE, prometheus_claims(mon.prometheus_replicas), invoke_opts
            ),
            alertmanager_replicas=mon.alertmanager_replicas,
            thresholds=RuleThresholds(
                api_error_ratio_critical=t.api_error_ratio_critical_percent / 100,
                api_error_ratio_warning=t.api_error_ratio_warning_percent / 100,
                api_latency_p95_warning_seconds=t.api_latency_p95_warning_seconds,
                api_latency_p95_info_seconds=t.api_latency_p95_info_seconds,
                node_cpu_percent=t.node_cpu_percent,
                node_memory_percent=t.node_memory_percent,
                volume_free_percent=t.volume_free_percent,
                database_connections_percent=t.database_connections_percent,
                cache_memory_percent=t.cache_memory_percent,
                queue_backlog=t.queue_backlog,
                backup_max_age_seconds=2 * cfg.backups.dump_interval_minutes * 60,
            ),
            slack_webhook_secret=_arn(receivers.get(SLACK_WEBHOOK)),
            slack_channel=mon.slack_channel,
            pagerduty_routing_key_secret=_arn(receivers.get(PAGERDUTY_ROUTING_KEY)),
            alert_emails=mon.alert_emails,
            secret_store=addons.cluster_secret_store_name,
            database_identifier=database.identifier,
            database_instance_class=db.instance_class,
            database_allocated_gib=db.allocated_storage_gib,
            database_replicas=database.replica_identifiers,
            database_host=database.endpoint,
            database_name=database.database_name,
            database_secret=roles.secret_names[MONITORING_ROLE],
            database_credentials_ready=[*roles.secret_versions, roles.job],
            credentials_rotation=db.credentials_rotation,
            cache_node_ids=cache.node_ids,
            cache_has_replicas=cc.replicas_per_shard > 0,
            cache_host=cache.endpoint,
            cache_cluster_mode=cc.cluster_mode,
            cache_secret_arn=cache.auth_secret_arn,
            database_cpu_percent=t.database_cpu_percent,
            database_free_storage_percent=t.database_free_storage_percent,
            database_max_allocated_gib=db.max_allocated_storage_gib,
            database_max_connections=db.max_connections,
            cache_cpu_percent=t.cache_cpu_percent,
            load_balancer_names=tuple(ingresses),
            ingresses=tuple(ingresses.values()),
            ready=addons.ready,
            protect=cfg.protect_stateful_resources,
        ),
        opts=aws_opts,
    )

    bk = cfg.backups
    dr_provider = aws.Provider(
        "aws-dr",
        region=bk.dr_region,
        default_tags={"tags": default_tags(PROJECT, env, cfg.tags)},
    )
    backups = BackupJobs(
        f"{env}-backups",
        BackupJobsArgs(
            environment=env,
            region=cfg.region,
            dr_provider=dr_provider,
            k8s_provider=cluster.k8s_provider,
            oidc=cluster.oidc,
            database_host=database.endpoint,
            database_name=database.database_name,
            database_secret=roles.secret_names[BACKUP_ROLE],
            credentials_ready=[*roles.secret_versions, roles.job],
            credentials_rotation=db.credentials_rotation,
            kubernetes_version=cl.kubernetes_version,
            data_subnet_cidrs=[str(c) for c in subnet_plan.database],
            daily_retention_days=bk.daily_retention_days,
            weekly_monthly=bk.weekly_monthly,
            weekly_retention_days=bk.weekly_retention_days,
            monthly_retention_days=bk.monthly_retention_days,
            cross_region_copy=bk.cross_region_copy,
            vault_lock=bk.vault_lock.enabled,
            lock_min_days=bk.vault_lock.min_retention_days,
            lock_max_days=bk.vault_lock.max_retention_days,
            bucket_replication=bk.bucket_replication,
            dump_retention_days=bk.dump_retention_days,
            dump_transition_days=bk.dump_transition_days,
            pg_dump_schedule=bk.pg_dump_schedule,
            restore_check_schedule=bk.restore_check_schedule,
            dump_volume_gib=bk.dump_volume_gib or db.allocated_storage_gib,
            storage_class=cluster.storage_class_name,
            restore_check_interval_days=bk.restore_check_interval_days,
            alarm_topic_arn=monitoring.alarm_topic_arn,
            engine_version=db.engine_version,
            max_dump_age_minutes=2 * bk.dump_interval_minutes,
            ready=addons.ready,
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
        "deployRunnerProject": runner.project_name if runner else None,
        "databaseIdentifier": database.instance_identifier,
        "databaseEndpoint": database.endpoint,
        "databasePort": database.port,
        "databaseSecretArn": database.master_secret_arn,
        "cacheEndpoint": cache.endpoint,
        "cacheAuthSecretArn": cache.auth_secret_arn,
        "alarmTopicArn": monitoring.alarm_topic_arn,
        "backupVault": backups.vault.name,
        "dumpBucket": backups.bucket.bucket,
    }


def workload_spec(workload: WorkloadConfig) -> WorkloadSpec:
    """The component's view of one workload's config."""
    scaling = workload.autoscaling
    scrape = workload.scrape
    return WorkloadSpec(
        kind=workload.kind,
        image=workload.image,
        command=workload.command,
        args=workload.args,
        port=workload.port,
        replicas=workload.replicas,
        min_replicas=scaling.min_replicas if scaling else None,
        max_replicas=scaling.max_replicas if scaling else None,
        cpu_target_percent=scaling.cpu_target_percent if scaling else 70,
        memory_target_percent=scaling.memory_target_percent if scaling else 80,
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
            var: (ref.from_secrets_manager, ref.property)
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
    )


def app_deployments(
    cfg: StackConfig,
    cluster: EksCluster,
    namespace: AppNamespace,
    addons: ClusterAddons,
    roles: DatabaseRoles,
    subnet_plan: Any,
    opts: pulumi.ResourceOptions,
) -> dict[str, AppDeployment]:
    """Every workload; migrations first, and the workloads of a migration's image wait for
    it (a failed migration stops their rollout)."""
    env, apps = cfg.environment, cfg.apps
    made: dict[str, AppDeployment] = {}
    order = sorted(apps.workloads, key=lambda n: (apps.workloads[n].kind != "migration", n))
    for name in order:
        workload = apps.workloads[name]
        migrations = [
            made[m].workload_resource
            for m in made
            if apps.workloads[m].kind == "migration" and apps.workloads[m].image == workload.image
        ]
        spec = workload_spec(workload)
        made[name] = AppDeployment(
            f"{env}-app-{name}",
            AppDeploymentArgs(
                environment=env,
                name=name,
                region=cfg.region,
                namespace=apps.namespace,
                workload=dataclasses.replace(
                    spec,
                    # a remote secret name is relative to the environment's prefix
                    secrets={v: (f"{env}/{n}", p) for v, (n, p) in spec.secrets.items()},
                ),
                k8s_provider=cluster.k8s_provider,
                oidc=cluster.oidc,
                load_balancer_subnet_cidrs=[str(c) for c in subnet_plan.public],
                data_subnet_cidrs=[str(c) for c in subnet_plan.database],
                app_bucket_arn=namespace.data_bucket.arn,
                app_bucket_key_arn=namespace.data_key.arn,
                zone_spread=apps.zone_spread,
                callers=workload.allow_from,
                callees={
                    callee: other.port
                    for callee, other in apps.workloads.items()
                    if name in other.allow_from
                },
                secret_store=addons.cluster_secret_store_name,
                protect=cfg.protect_stateful_resources,
                # the namespace baseline, and its login role exists before its pods start
                depends_on=[namespace, roles.job, *migrations],
            ),
            opts=opts,
        )
    return made


def alert_receiver_secrets(
    cfg: StackConfig, provider: aws.Provider
) -> dict[str, pulumi.Output[aws.secretsmanager.GetSecretResult]]:
    """The receivers' Secrets Manager secrets, looked up by name: the operator creates them
    once (``bootstrap-backend put-secret``); a missing one fails the preview naming it."""
    mon = cfg.monitoring
    wanted = ((SLACK_WEBHOOK, mon.slack_enabled), (PAGERDUTY_ROUTING_KEY, mon.pagerduty_enabled))
    return {
        key: aws.secretsmanager.get_secret_output(
            name=receiver_secret_name(cfg.environment, key),
            opts=pulumi.InvokeOutputOptions(provider=provider),
        )
        for key, enabled in wanted
        if enabled
    }


def _key_arn(key_id: pulumi.Output[str], opts: pulumi.InvokeOutputOptions) -> pulumi.Output[str]:
    """A secret's key as an ARN (DescribeSecret may give a key id or alias ARN; an IAM grant
    needs the key's ARN); empty under the AWS managed key, which needs no grant."""
    return key_id.apply(lambda k: aws.kms.get_key_output(key_id=k, opts=opts).arn if k else "")


def _arn(secret: pulumi.Output[aws.secretsmanager.GetSecretResult] | None) -> Any:
    return None if secret is None else secret.arn


def run() -> None:
    """The program: load config once, compose, export."""
    for name, value in compose(load_stack_config()).items():
        pulumi.export(name, value)
