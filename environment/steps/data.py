"""Step 3: PostgreSQL, Valkey and the database's own logins. The data stores need the VPC
and the nodes' security group id, never the cluster itself: RDS and ElastiCache are created
in parallel with the control plane."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from components.database_roles import (
    BACKUP_ROLE,
    MONITORING_ROLE,
    DatabaseRoles,
    DatabaseRolesArgs,
    app_role,
)
from components.elasticache import ElastiCache, ElastiCacheArgs
from components.live import live_database_name
from components.queues import Queues, QueuesArgs
from components.rds_postgres import RdsPostgres, RdsPostgresArgs, ReplicaOf

from ..config import replacements
from .cluster import Platform
from .context import Context
from .network import Network


@dataclass(frozen=True)
class Data:
    database: RdsPostgres
    cache: ElastiCache
    roles: DatabaseRoles
    queues: Queues | None


def data(ctx: Context, net: Network, platform: Platform) -> Data:
    database = _database(ctx, net, platform)
    cache = _cache(ctx, net, platform)
    queues = None
    if ctx.cfg.queues:
        queues = Queues(
            f"{ctx.env}-queues",
            QueuesArgs(environment=ctx.env, queues=ctx.cfg.queues, protect=ctx.protect),
            opts=ctx.aws_opts,
        )
    return Data(database, cache, _roles(ctx, net, platform, database), queues)


def _database(ctx: Context, net: Network, platform: Platform) -> RdsPostgres:
    """The environment's database; a standby's is a replica of its primary's (from the
    primary's ``databaseArn`` output), the same resource once promoted."""
    db, cfg = ctx.cfg.database, ctx.cfg
    replica = None
    database_name: pulumi.Input[str]
    if ctx.primary is not None and cfg.standby is not None:
        replica = ReplicaOf(
            source_arn=ctx.primary.require_output("databaseArn"),
            promoted=cfg.standby.promoted,
        )
        database_name = db.database_name  # replicated: never set on the instance
    else:
        database_name = live_database_name(f"{ctx.env}-postgres", ctx.invoke_opts).apply(
            lambda live: replacements.database_name(live, cfg)
        )
    return RdsPostgres(
        f"{ctx.env}-postgres",
        RdsPostgresArgs(
            vpc_id=net.vpc.vpc_id,
            subnet_ids=net.vpc.database_subnet_ids,
            source_security_group_ids=[platform.cluster.node_security_group_id],
            database_name=database_name,
            settings=db,
            protect=ctx.protect,
            master_rotation=db.credentials_rotation,
            secret_namespace=ctx.env,
            replica_of=replica,
        ),
        opts=ctx.aws_opts,
    )


def _cache(ctx: Context, net: Network, platform: Platform) -> ElastiCache:
    return ElastiCache(
        f"{ctx.env}-cache",
        ElastiCacheArgs(
            vpc_id=net.vpc.vpc_id,
            subnet_ids=net.vpc.database_subnet_ids,
            source_security_group_ids=[platform.cluster.node_security_group_id],
            environment=ctx.env,
            availability_zones=net.vpc.availability_zones,
            settings=ctx.cfg.cache,
            protect=ctx.protect,
        ),
        opts=ctx.aws_opts,
    )


def _roles(ctx: Context, net: Network, platform: Platform, database: RdsPostgres) -> DatabaseRoles:
    """Every consumer of the database logs in as itself (never the master user)."""
    db, addons = ctx.cfg.database, platform.addons
    return DatabaseRoles(
        f"{ctx.env}-db-roles",
        DatabaseRolesArgs(
            environment=ctx.env,
            region=ctx.cfg.region,
            k8s_provider=platform.cluster.k8s_provider,
            database_host=database.endpoint,
            database_name=db.database_name,
            master_secret_arn=database.master_secret_arn,
            kms_key_arn=database.kms_key_arn,
            roles={
                **{app_role(w): "app" for w in ctx.cfg.apps.workloads},
                MONITORING_ROLE: "monitoring",
                BACKUP_ROLE: "backup",
            },
            data_subnet_cidrs=[str(c) for c in net.subnets.database],
            engine_version=db.engine_version,
            rotation=db.credentials_rotation,
            kubernetes_version=ctx.cfg.cluster.kubernetes_version,
            secret_store=addons.cluster_secret_store_name,
            protect=ctx.protect,
            apply=not ctx.standing_by,
            ready=addons.ready,
            external_secrets_role=addons.external_secrets_role,
        ),
        opts=ctx.aws_opts,
    )
