"""Compose one environment from its validated stack config.

``run`` is the whole program: validate config (fails before any resource exists), build the
environment step by step in dependency order (``environment/steps``), export the outputs.
Components get their dependencies as explicit inputs and outputs; nothing here knows which
stack it is beyond what the config says.
"""

from __future__ import annotations

from typing import Any

import pulumi

from .config import StackConfig, load_stack_config
from .steps.apps import Product, product
from .steps.backups import backups
from .steps.cluster import platform
from .steps.context import context
from .steps.data import data
from .steps.network import network
from .steps.observability import alert_receivers, grant_store_reads, observability
from .steps.standby import failover_dns, replicated_images
from .steps.telemetry import telemetry


def compose(cfg: StackConfig) -> dict[str, Any]:
    """Create every component of the environment; return the stack outputs."""
    ctx = context(cfg)
    net = network(ctx)
    plat = platform(ctx, net)
    stores = data(ctx, net, plat)
    receivers = alert_receivers(ctx)
    traces_and_logs = telemetry(ctx, plat)
    app = product(ctx, net, plat, stores)
    monitoring = observability(ctx, plat, stores, app, receivers, traces_and_logs)
    grant_store_reads(ctx, plat, stores, receivers, monitoring)
    # standing by, the primary's DR vault and media replica in this region are the backups
    # (its database is a replica of a backed-up primary); a promoted standby backs up its own
    vault = None if ctx.standing_by else backups(ctx, net, plat, stores, monitoring, app.namespace)
    failover = failover_dns(ctx, app)
    replicated_images(ctx)
    vpc, cluster, database, cache = net.vpc, plat.cluster, stores.database, stores.cache
    return {
        "region": cfg.region,
        "vpcId": vpc.vpc_id,
        "availabilityZones": vpc.availability_zones,
        "publicSubnetIds": vpc.public_subnet_ids,
        "privateSubnetIds": vpc.private_subnet_ids,
        "databaseSubnetIds": vpc.database_subnet_ids,
        "natPublicIps": vpc.nat_public_ips,
        "clusterName": cluster.cluster_name,
        "clusterEndpoint": cluster.endpoint,
        "oidcIssuer": cluster.oidc_issuer,
        "kubeconfig": cluster.kubeconfig,
        "deployRunnerProject": plat.runner.project_name if plat.runner else None,
        "databaseIdentifier": database.instance_identifier,
        "databaseArn": database.arn,
        "databaseEndpoint": database.endpoint,
        "databasePort": database.port,
        "databaseSecretArn": database.master_secret_arn,
        "cacheEndpoint": cache.endpoint,
        "cacheAuthSecretArn": cache.auth_secret_arn,
        "alarmTopicArn": monitoring.alarm_topic_arn,
        "backupVault": vault.vault.name if vault else None,
        "dumpBucket": vault.bucket.bucket if vault else None,
        **_standby_outputs(app),
        **({"failoverHealthCheckId": failover.health_check_id} if failover else {}),
    }


def _standby_outputs(app: Product) -> dict[str, Any]:
    """What a standby reads through its StackReference beyond the above: the ALB its failover
    records point at (the controller's, so looked up)."""
    outputs: dict[str, Any] = {}
    media = app.namespace
    if media.data_replica is not None and media.data_replica_key_arn is not None:
        outputs |= {
            "dataReplicaBucket": media.data_replica.bucket,
            "dataReplicaKeyArn": media.data_replica_key_arn,
        }
    if app.alb is not None:
        outputs |= {"loadBalancerDnsName": app.alb.dns_name, "loadBalancerZoneId": app.alb.zone_id}
    return outputs


def run() -> None:
    """The program: load config once, compose, export."""
    for name, value in compose(load_stack_config()).items():
        pulumi.export(name, value)
