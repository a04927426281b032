"""Step 5: metrics, alerts and alarms for what steps 2-4 built."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws

from components.app_deployment import metrics_port_name
from components.app_namespace import external_secrets_grant
from components.database_roles import MONITORING_ROLE
from components.live import live_claim_sizes
from components.monitoring.alertmanager import (
    PAGERDUTY_ROUTING_KEY,
    SLACK_WEBHOOK,
    receiver_secret_name,
)
from components.monitoring.slo import Slo
from components.monitoring_stack import NAMESPACE as MONITORING_NAMESPACE
from components.monitoring_stack import (
    MonitoringStack,
    MonitoringStackArgs,
    ScrapeTarget,
    prometheus_claims,
)

from .apps import Product, workload_spec
from .cluster import Platform
from .context import Context
from .data import Data
from .telemetry import Telemetry

Receivers = dict[str, pulumi.Output[aws.secretsmanager.GetSecretResult]]


def alert_receivers(ctx: Context) -> Receivers:
    """The receivers' Secrets Manager secrets, looked up by name: the operator creates them
    once (``bootstrap-backend put-secret``); a missing one fails the preview naming it."""
    mon = ctx.cfg.monitoring
    wanted = ((SLACK_WEBHOOK, mon.slack_enabled), (PAGERDUTY_ROUTING_KEY, mon.pagerduty_enabled))
    return {
        key: aws.secretsmanager.get_secret_output(
            name=receiver_secret_name(ctx.env, key), opts=ctx.invoke_opts
        )
        for key, enabled in wanted
        if enabled
    }


def slos(ctx: Context) -> list[Slo]:
    """Each workload's objectives (``apps.workloads.<name>.slo``)."""
    made: list[Slo] = []
    for name, workload in sorted(ctx.cfg.apps.workloads.items()):
        slo, scrape = workload.slo, workload.scrape
        if slo is None or scrape is None:
            continue
        namespace = ctx.cfg.apps.namespace
        if slo.availability_percent is not None:
            made.append(Slo(name, namespace, "availability", slo.availability_percent))
        if slo.latency is not None and scrape.histogram is not None:
            made.append(
                Slo(name, namespace, "latency", slo.latency.percent, scrape.histogram,
                    slo.latency.threshold_seconds)
            )  # fmt: skip
    return made


def scrape_targets(ctx: Context) -> list[ScrapeTarget]:
    return [
        ScrapeTarget(
            name,
            metrics_port_name(workload_spec(w, ctx.env, ctx.cfg.tracing.enabled)),
            w.scrape.path,
        )
        for name, w in sorted(ctx.cfg.apps.workloads.items())
        if w.scrape is not None
    ]


def _arn(secret: pulumi.Output[aws.secretsmanager.GetSecretResult] | None) -> Any:
    return None if secret is None else secret.arn


def observability(
    ctx: Context,
    platform: Platform,
    stores: Data,
    product: Product,
    receivers: Receivers,
    telemetry: Telemetry,
) -> MonitoringStack:
    mon = ctx.cfg.monitoring
    database, cache, roles = stores.database, stores.cache, stores.roles
    public = product.public
    ingresses = {public.load_balancer_name: public.ingress} if public else {}
    return MonitoringStack(
        f"{ctx.env}-monitoring",
        MonitoringStackArgs(
            environment=ctx.env,
            region=ctx.cfg.region,
            k8s_provider=platform.cluster.k8s_provider,
            oidc=platform.cluster.oidc,
            storage_class=platform.cluster.storage_class_name,
            app_namespace=ctx.cfg.apps.namespace,
            scrape_targets=scrape_targets(ctx),
            slos=slos(ctx),
            container_log_group_arns=(
                [g.arn for g in telemetry.logs.log_groups.values()] if telemetry.logs else []
            ),
            extra_alerts=[a.rule() for a in mon.extra_alerts],
            settings=mon,
            live_claim_gib=live_claim_sizes(
                ctx.env,
                MONITORING_NAMESPACE,
                prometheus_claims(mon.prometheus_replicas),
                ctx.invoke_opts,
            ),
            backup_max_age_seconds=2 * ctx.cfg.backups.dump_interval_minutes * 60,
            slack_webhook_secret=_arn(receivers.get(SLACK_WEBHOOK)),
            pagerduty_routing_key_secret=_arn(receivers.get(PAGERDUTY_ROUTING_KEY)),
            secret_store=platform.addons.cluster_secret_store_name,
            database_identifier=database.identifier,
            database=ctx.cfg.database,
            database_replicas=database.replica_identifiers,
            # a standby's replica lag is its primary's region-loss data loss
            database_replica_lag_seconds=60 * (ctx.cfg.backups.region_loss_rpo_minutes or 5),
            database_host=database.endpoint,
            database_name=database.database_name,
            database_secret=roles.secret_names[MONITORING_ROLE],
            database_credentials_ready=[*roles.secret_versions, *roles.applied],
            credentials_rotation=ctx.cfg.database.credentials_rotation,
            queues=[
                (q.name, q.dlq_name, q.settings.max_age_seconds)
                for q in (stores.queues.queues.values() if stores.queues else [])
            ],
            cache_node_ids=cache.node_ids,
            cache=ctx.cfg.cache,
            cache_host=cache.endpoint,
            cache_secret_arn=cache.auth_secret_arn,
            load_balancer_names=tuple(ingresses),
            ingresses=tuple(ingresses.values()),
            ready=platform.addons.ready,
            protect=ctx.protect,
        ),
        opts=ctx.aws_opts,
    )


def grant_store_reads(
    ctx: Context,
    platform: Platform,
    stores: Data,
    receivers: dict[str, pulumi.Output[aws.secretsmanager.GetSecretResult]],
    monitoring: MonitoringStack,
) -> None:
    """The shared secret store's role reads the cache token, the alert receivers' keys and
    the SES SMTP password the program made (not the master secret: only db-admin reads it,
    through its own store and role)."""
    made = [monitoring.smtp_password_secret_arn] if monitoring.smtp_password_secret_arn else []
    role = platform.addons.external_secrets_role
    if role is None:
        return
    external_secrets_grant(
        f"{ctx.env}-external-secrets-data",
        role=role,
        secret_arns=[
            stores.cache.auth_secret_arn,
            *(r.arn for r in receivers.values()),
            *made,
        ],
        key_arns=[
            stores.database.kms_key_arn,
            stores.cache.kms_key_arn,
            *(_key_arn(r.kms_key_id, ctx.invoke_opts) for r in receivers.values()),
        ],
        region=ctx.cfg.region,
        opts=ctx.aws_opts,
    )


def _key_arn(key_id: pulumi.Output[str], opts: pulumi.InvokeOutputOptions) -> pulumi.Output[str]:
    """A secret's key as an ARN (DescribeSecret may give a key id or alias ARN; an IAM grant
    needs the key's ARN); empty under the AWS managed key, which needs no grant."""
    return key_id.apply(lambda k: aws.kms.get_key_output(key_id=k, opts=opts).arn if k else "")
