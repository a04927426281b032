"""Step 4b: container logs and traces (``logging`` and ``tracing`` in the stack file). They
need the cluster only; the workloads read the tracing endpoint as environment."""

from __future__ import annotations

from dataclasses import dataclass

from components.backup_jobs import NAMESPACE as BACKUPS_NAMESPACE
from components.database_roles import NAMESPACE as DB_ADMIN_NAMESPACE
from components.keda import NAMESPACE as KEDA_NAMESPACE
from components.log_shipping import NAMESPACE as LOGGING_NAMESPACE
from components.log_shipping import LogShipping, LogShippingArgs
from components.monitoring_stack import NAMESPACE as MONITORING_NAMESPACE
from components.tracing import NAMESPACE as TRACING_NAMESPACE
from components.tracing import Tracing, TracingArgs

from .cluster import Platform
from .context import Context


@dataclass(frozen=True)
class Telemetry:
    logs: LogShipping | None
    tracing: Tracing | None


def pod_namespaces(ctx: Context) -> list[str]:
    """Every namespace the program runs pods in (the log shipper covers each; a test holds
    this list against the plan)."""
    cfg, addons = ctx.cfg, ctx.cfg.addons
    found = {cfg.apps.namespace, "kube-system", MONITORING_NAMESPACE, BACKUPS_NAMESPACE,
             DB_ADMIN_NAMESPACE}  # fmt: skip
    if addons.cert_manager:
        found.add("cert-manager")
    if addons.external_secrets:
        found.add("external-secrets")
    if addons.external_dns.enabled:
        found.add("external-dns")
    if cfg.logging.enabled:
        found.add(LOGGING_NAMESPACE)
    if cfg.tracing.enabled:
        found.add(TRACING_NAMESPACE)
    if any(w.autoscaling and w.autoscaling.queue for w in cfg.apps.workloads.values()):
        found.add(KEDA_NAMESPACE)
    return sorted(found)


def telemetry(ctx: Context, platform: Platform) -> Telemetry:
    cluster = platform.cluster
    logs = None
    if ctx.cfg.logging.enabled:
        logs = LogShipping(
            f"{ctx.env}-logs",
            LogShippingArgs(
                environment=ctx.env,
                region=ctx.cfg.region,
                k8s_provider=cluster.k8s_provider,
                oidc=cluster.oidc,
                namespaces=pod_namespaces(ctx),
                settings=ctx.cfg.logging,
                ready=platform.addons.ready,
                protect=ctx.protect,
            ),
            opts=ctx.aws_opts,
        )
    tracing = None
    if ctx.cfg.tracing.enabled:
        tracing = Tracing(
            f"{ctx.env}-tracing",
            TracingArgs(
                environment=ctx.env,
                region=ctx.cfg.region,
                k8s_provider=cluster.k8s_provider,
                oidc=cluster.oidc,
                settings=ctx.cfg.tracing,
                app_namespaces=[ctx.cfg.apps.namespace],
                ready=platform.addons.ready,
            ),
            opts=ctx.aws_opts,
        )
    return Telemetry(logs, tracing)
