"""RdsPostgres: PostgreSQL on RDS, safe by default.

Encrypted gp3 storage with a customer-managed key, TLS enforced, the master password generated
and rotated by RDS in Secrets Manager (never in config, state or outputs), IAM authentication,
Multi-AZ, PITR with a fixed backup window, Performance Insights, enhanced monitoring, logs
exported with retention, deletion protection and a deterministic final snapshot.

The parameter group's family is derived from the engine version, and its name carries the
family: a major upgrade creates a new group next to the old one instead of failing on an
incompatible family.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pulumi
import pulumi_aws as aws
import pulumi_random as random
from pydantic import Field

from . import versions
from ._shared import data_store_network
from ._util import service_trust_policy
from .kms import customer_managed_key
from .settings import DailyWindow, LogRetentionDays, Settings, WeeklyWindow

PORT = 5432
LOG_EXPORTS = ("postgresql", "upgrade")
CA_CERTIFICATE = "rds-ca-rsa2048-g1"
MASTER_USER = "platform_admin"
MasterPassword = Literal["rds-managed", "generated"]


class PostgresSettings(Settings):
    """What an operator chooses about the instance; defaults are the production-safe choice. The
    stack file's ``database`` section extends this model (``environment.config.database``)."""

    apply_immediately: bool = False
    """Apply modifications (instance class, storage type, Multi-AZ) in this ``pulumi up``, not in
    the next maintenance window. Off (production-safe: no failover mid-day): the change waits
    for the window, and until then every refreshed preview shows it again; the nightly drift
    check reports it as pending, not as drift (``tools/drift/classify.py``)."""

    engine_version: str = versions.POSTGRES_ENGINE_VERSION
    """PostgreSQL **major** version (``"17"``). AWS applies minor versions in the maintenance
    window; the parameter-group family and the backup client image follow the major."""

    instance_class: str = "db.m7g.large"
    """RDS instance class (current-generation families only)."""

    allocated_storage_gib: int = Field(default=100, ge=20, le=65536)
    """Initial gp3 storage."""

    max_allocated_storage_gib: int = Field(default=1000, ge=20, le=65536)
    """Storage autoscaling ceiling."""

    multi_az: bool = True
    """Synchronous standby in a second AZ (automatic failover)."""

    master_password: MasterPassword = "rds-managed"
    """``rds-managed``: RDS generates the master password, keeps it in Secrets Manager and
    rotates it every 7 days (it is never in state). ``generated``: the program generates it
    (a secret in state), keeps it in a Secrets Manager secret of its own and rotates it with
    ``credentialsRotation``; needed for any read replica, a standby region's included (RDS
    creates no replica of a source whose password it manages). Switching a live instance is an
    in-place ``ModifyDBInstance``; RDS then deletes its own secret."""

    read_replicas: int = Field(default=0, ge=0, le=0)
    """Read replicas (same region). Must stay 0: the master password is managed by RDS in
    Secrets Manager, and RDS does not support creating a read replica of such a source
    (RDS User Guide, "Limitations for Secrets Manager integration", all engines but SQL
    Server)."""

    backup_retention_days: int = Field(default=30, ge=1, le=35)
    """Automated backups / PITR window in days (1-35)."""

    backup_window: DailyWindow = "03:00-04:00"
    """Daily backup window (UTC), inside 03:00-06:00."""

    maintenance_window: WeeklyWindow = "sun:06:00-sun:07:00"
    """Weekly maintenance window (UTC); must not overlap the backup window."""

    deletion_protection: bool = True
    """Refuse API deletes."""

    slow_query_ms: int = Field(default=500, ge=-1, le=600_000)
    """``log_min_duration_statement``: log statements slower than this (-1 disables)."""

    max_connections: int | None = Field(default=None, ge=20, le=10_000)
    """Override ``max_connections`` (default: RDS's memory-based formula)."""

    performance_insights_retention_days: int = 7
    """Performance Insights retention: 7 (free) or a multiple of 31 up to 731."""

    log_retention_days: LogRetentionDays = 90
    """Days to keep exported PostgreSQL logs."""


@dataclass(frozen=True, kw_only=True)
class RdsPostgresArgs:
    """Inputs: the wiring, and the settings."""

    vpc_id: pulumi.Input[str]
    subnet_ids: pulumi.Input[Sequence[str]]
    """Database subnets (no route to the internet)."""
    source_security_group_ids: Sequence[pulumi.Input[str]]
    """The only security groups allowed to connect on 5432 (the EKS nodes)."""
    database_name: pulumi.Input[str]
    """The initial database (a change replaces the instance: callers gate it on the live one)."""
    settings: PostgresSettings = field(default_factory=PostgresSettings)
    protect: bool = True
    """Pulumi ``protect`` on the instance and key (and ``retain_on_delete`` on the key)."""
    master_rotation: int = 0
    """Bump to rotate a ``generated`` master password."""
    secret_namespace: str | None = None
    """Names a ``generated`` password's secret ``<namespace>/db/platform_admin``, beside the
    logins' (default: the identifier)."""
    replica_of: ReplicaOf | None = None
    """A standby's database: a replica of another region's instance (until promoted)."""


@dataclass(frozen=True, kw_only=True)
class ReplicaOf:
    """The instance is a cross-region read replica of ``source_arn``, encrypted with this
    component's key (of the replica's region), with its own subnet and parameter groups.

    ``promoted``: it was promoted (``uv run failover``) and is standalone from then on. The
    same resource, without ``replicate_source_db``: never re-created as a replica. Its master
    password becomes this stack's generated one, whose secret (in this region) exists from the
    start (the replica inherited the source's password, whose secret is in the lost region)."""

    source_arn: pulumi.Input[str]
    promoted: bool = False


class RdsPostgres(pulumi.ComponentResource):
    """One PostgreSQL instance (plus optional read replicas)."""

    endpoint: pulumi.Output[str]
    port: pulumi.Output[int]
    database_name: pulumi.Output[str]
    master_secret_arn: pulumi.Output[str]
    kms_key_arn: pulumi.Output[str]
    security_group_id: pulumi.Output[str]
    instance_identifier: pulumi.Output[str]

    def __init__(
        self, name: str, args: RdsPostgresArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("platform:components:RdsPostgres", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        identifier = name
        family = versions.postgres_parameter_group_family(args.settings.engine_version)

        key = customer_managed_key(
            f"{name}-key",
            f"RDS storage, Performance Insights and master secret of {identifier}",
            parent=self,
            protect=args.protect,
            # the final snapshot outlives a destroy and is encrypted with this key
            outlive_the_stack=True,
        )
        subnets = self._network(name, args, identifier)
        self.parameter_group = self._parameter_group(name, args, identifier, family)
        monitoring_role, log_groups = self._monitoring(name, args, identifier)
        common = self._common(args, key.arn, monitoring_role.arn)
        snapshot_suffix = random.RandomId(f"{name}-final-snapshot", byte_length=4, opts=child)
        final_snapshot = {
            "skip_final_snapshot": False,
            # unique per incarnation: a second destroy of a re-created stack cannot collide
            "final_snapshot_identifier": snapshot_suffix.hex.apply(
                lambda h: f"{identifier}-final-{h}"
            ),
        }
        origin, generated_secret = self._origin(name, args, identifier, key.arn, final_snapshot)
        self.instance = aws.rds.Instance(
            f"{name}-db",
            identifier=identifier,
            db_subnet_group_name=subnets.name,
            port=PORT,
            storage_type="gp3",
            max_allocated_storage=args.settings.max_allocated_storage_gib,
            multi_az=args.settings.multi_az,
            backup_retention_period=args.settings.backup_retention_days,
            backup_window=args.settings.backup_window,
            delete_automated_backups=False,
            allow_major_version_upgrade=True,
            tags={"backup": "true"},
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect, depends_on=log_groups),
            **origin,
            **common,
        )
        self._replicas(name, args, identifier, common)

        self.endpoint = self.instance.address
        self.port = self.instance.port
        self.database_name = pulumi.Output.from_input(args.database_name)
        self.arn = self.instance.arn
        self.master_secret_arn = (
            generated_secret.arn
            if generated_secret is not None
            else self.instance.master_user_secrets.apply(
                lambda secrets: (secrets[0].secret_arn or "") if secrets else ""
            )
        )
        self.kms_key_arn = key.arn
        self.security_group_id = self.security_group.id
        self.instance_identifier = self.instance.identifier
        self.identifier = identifier
        """The instance identifier, known before the instance exists (alarm names)."""
        self.replica_identifiers = tuple(
            f"{identifier}-replica-{index}" for index in range(args.settings.read_replicas)
        ) + ((identifier,) if args.replica_of is not None and not args.replica_of.promoted else ())
        """Replicas whose lag is watched: a standby's instance itself, until promoted."""
        self.register_outputs(
            {
                "endpoint": self.endpoint,
                "port": self.port,
                "masterSecretArn": self.master_secret_arn,
                "securityGroupId": self.security_group_id,
            }
        )

    def _origin(
        self,
        name: str,
        args: RdsPostgresArgs,
        identifier: str,
        key_arn: pulumi.Output[str],
        final_snapshot: dict[str, Any],
    ) -> tuple[dict[str, Any], aws.secretsmanager.Secret | None]:
        """How the instance comes to be, and who holds its master password: a new instance
        (the password managed by RDS, or generated here), a cross-region replica, or a
        promoted replica. Returns the instance's arguments and a generated password's secret.

        A replica sets none of ``engine``, ``engine_version``, ``username`` or ``db_name`` (the
        provider refuses them next to ``replicate_source_db``) and skips the final snapshot
        (RDS takes none of a replica). A promoted replica keeps ``username`` and ``db_name``
        unset too (and ``engine``): inherited, and setting them would replace the instance. Its
        master password becomes this stack's generated one (``ModifyDBInstance``)."""
        settings, replica = args.settings, args.replica_of
        if replica is not None:
            # The password the replica takes once promoted, and its secret, exist while it
            # stands by: the failover's ``up`` then changes neither IAM nor the secret's ARN
            # (IAM's control plane may be in the lost region), and the promoted instance can be
            # the source of a replica again (failing back).
            password, secret = self._generated_password(name, args, identifier, key_arn)
            if not replica.promoted:
                return {
                    "replicate_source_db": replica.source_arn,
                    "skip_final_snapshot": True,
                }, secret
            # ``engine`` and ``engine_version`` stay unset too: inherited (the state holds the
            # full version; "17" there would be an update RDS may refuse as a downgrade)
            return {**final_snapshot, "password": password.result}, secret
        origin: dict[str, Any] = {
            **final_snapshot,
            "engine": "postgres",
            "engine_version": settings.engine_version,
            # Refuse paid RDS Extended Support when a major reaches end of standard support.
            "engine_lifecycle_support": "open-source-rds-extended-support-disabled",
            "db_name": args.database_name,
            "username": MASTER_USER,
            "allocated_storage": settings.allocated_storage_gib,
        }
        if settings.master_password == "rds-managed":
            origin |= {
                "manage_master_user_password": True,
                "master_user_secret_kms_key_id": key_arn,
            }
            return origin, None
        password, secret = self._generated_password(name, args, identifier, key_arn)
        # manage_master_user_password left unset, not false: the provider refuses it next to
        # ``password`` even as false. On a live instance, true -> unset is one ModifyDBInstance
        # with ManageMasterUserPassword=false and the password (RDS then deletes its secret).
        origin |= {"password": password.result}
        return origin, secret

    def _generated_password(
        self, name: str, args: RdsPostgresArgs, identifier: str, key_arn: pulumi.Output[str]
    ) -> tuple[random.RandomPassword, aws.secretsmanager.Secret]:
        """A master password of the program's, in its own secret (``<env>/db/platform_admin``,
        the shape of RDS's: ``username`` and ``password``)."""
        child = pulumi.ResourceOptions(parent=self)
        password = random.RandomPassword(
            f"{name}-master",
            length=40,
            special=False,  # RDS refuses / " @ and space; libpq URIs need no quoting
            keepers={"rotation": str(args.master_rotation)},
            opts=child,
        )
        secret = aws.secretsmanager.Secret(
            f"{name}-master",
            name=f"{args.secret_namespace or identifier}/db/{MASTER_USER}",
            description=f"Master login of {identifier} (generated by the program)",
            kms_key_id=key_arn,
            recovery_window_in_days=30 if args.protect else 0,
            opts=child,
        )
        aws.secretsmanager.SecretVersion(
            f"{name}-master",
            secret_id=secret.id,
            secret_string=pulumi.Output.json_dumps(
                {"username": MASTER_USER, "password": password.result}
            ),
            opts=child,
        )
        return password, secret

    def _network(
        self, name: str, args: RdsPostgresArgs, identifier: str
    ) -> aws.rds.SubnetGroup | aws.elasticache.SubnetGroup:
        """The database subnets, and a security group admitting only the nodes on 5432."""
        subnets, self.security_group = data_store_network(
            name,
            aws.rds.SubnetGroup,
            identifier=identifier,
            vpc_id=args.vpc_id,
            subnet_ids=args.subnet_ids,
            port=PORT,
            sources=args.source_security_group_ids,
            label=f"{identifier}-postgres",
            parent=self,
        )
        return subnets

    def _parameter_group(
        self, name: str, args: RdsPostgresArgs, identifier: str, family: str
    ) -> aws.rds.ParameterGroup:
        parameters = {
            "rds.force_ssl": ("1", "immediate"),
            "shared_preload_libraries": ("pg_stat_statements", "pending-reboot"),
            "pg_stat_statements.track": ("top", "immediate"),
            "log_min_duration_statement": (str(args.settings.slow_query_ms), "immediate"),
            "log_connections": ("1", "immediate"),
            "log_disconnections": ("1", "immediate"),
            "log_lock_waits": ("1", "immediate"),
            "log_temp_files": ("0", "immediate"),
            "idle_in_transaction_session_timeout": ("600000", "immediate"),
        }
        if args.settings.max_connections is not None:
            parameters["max_connections"] = (str(args.settings.max_connections), "pending-reboot")
        return aws.rds.ParameterGroup(
            f"{name}-{family}",
            # a prefix, not a name: a group left behind (retained below) never blocks the
            # group of a re-created stack or of the next major
            name_prefix=f"{identifier}-{family}-",
            family=family,
            description=f"{identifier} ({family})",
            parameters=[
                aws.rds.ParameterGroupParameterArgs(name=k, value=v, apply_method=m)
                for k, (v, m) in sorted(parameters.items())
            ],
            # a major upgrade attaches the next family's group; the old one, still attached
            # until the instance is modified, is left behind instead of failing the run
            opts=pulumi.ResourceOptions(parent=self, retain_on_delete=True),
        )

    def _monitoring(
        self, name: str, args: RdsPostgresArgs, identifier: str
    ) -> tuple[aws.iam.Role, list[aws.cloudwatch.LogGroup]]:
        """Enhanced monitoring's role and the log groups RDS exports to (created first so
        their retention applies)."""
        child = pulumi.ResourceOptions(parent=self)
        monitoring_role = aws.iam.Role(
            f"{name}-monitoring",
            description=f"RDS enhanced monitoring of {identifier}",
            assume_role_policy=service_trust_policy("monitoring.rds.amazonaws.com"),
            opts=child,
        )
        aws.iam.RolePolicyAttachment(
            f"{name}-monitoring",
            role=monitoring_role.name,
            policy_arn="arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole",
            opts=child,
        )
        log_groups = [
            aws.cloudwatch.LogGroup(
                f"{name}-log-{kind}",
                name=f"/aws/rds/instance/{identifier}/{kind}",
                retention_in_days=args.settings.log_retention_days,
                opts=child,
            )
            for kind in LOG_EXPORTS
        ]
        return monitoring_role, log_groups

    def _common(
        self,
        args: RdsPostgresArgs,
        key_arn: pulumi.Input[str],
        monitoring_role_arn: pulumi.Input[str],
    ) -> dict[str, Any]:
        """Settings the primary and its replicas share."""
        settings = args.settings
        common: dict[str, Any] = {
            "instance_class": args.settings.instance_class,
            "storage_encrypted": True,
            "kms_key_id": key_arn,
            "publicly_accessible": False,
            "vpc_security_group_ids": [self.security_group.id],
            "parameter_group_name": self.parameter_group.name,
            "iam_database_authentication_enabled": True,
            "performance_insights_enabled": True,
            "performance_insights_kms_key_id": key_arn,
            "performance_insights_retention_period": settings.performance_insights_retention_days,
            "monitoring_interval": 30,
            "monitoring_role_arn": monitoring_role_arn,
            "enabled_cloudwatch_logs_exports": list(LOG_EXPORTS),
            "auto_minor_version_upgrade": True,
            "ca_cert_identifier": CA_CERTIFICATE,
            "copy_tags_to_snapshot": True,
            "deletion_protection": args.settings.deletion_protection,
            "maintenance_window": args.settings.maintenance_window,
            "apply_immediately": args.settings.apply_immediately,
        }
        return common

    def _replicas(
        self, name: str, args: RdsPostgresArgs, identifier: str, common: dict[str, Any]
    ) -> None:
        if args.settings.read_replicas:
            # RDS refuses a replica of a source whose master password it manages in Secrets
            # Manager (the config refuses it first, naming the key).
            raise ValueError("read replicas need a source without an RDS-managed master password")
        for index in range(args.settings.read_replicas):
            aws.rds.Instance(
                f"{name}-replica-{index}",
                identifier=f"{identifier}-replica-{index}",
                replicate_source_db=self.instance.identifier,
                storage_type="gp3",
                max_allocated_storage=args.settings.max_allocated_storage_gib,
                multi_az=False,
                backup_retention_period=0,
                skip_final_snapshot=True,
                opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
                **common,
            )
