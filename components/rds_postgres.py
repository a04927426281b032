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
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from . import versions
from ._shared import service_security_group
from ._util import service_trust_policy
from .kms import customer_managed_key

PORT = 5432
LOG_EXPORTS = ("postgresql", "upgrade")
CA_CERTIFICATE = "rds-ca-rsa2048-g1"


@dataclass(frozen=True)
class RdsPostgresArgs:
    """Inputs; defaults are the production-safe choice."""

    vpc_id: pulumi.Input[str]
    subnet_ids: pulumi.Input[Sequence[str]]
    """Database subnets (no route to the internet)."""
    source_security_group_ids: Sequence[pulumi.Input[str]]
    """The only security groups allowed to connect on 5432 (the EKS nodes)."""
    engine_version: str = versions.POSTGRES_ENGINE_VERSION
    instance_class: str = "db.m7g.large"
    database_name: pulumi.Input[str] = "app"
    """The initial database (a change replaces the instance: callers gate it on the live one)."""
    allocated_storage_gib: int = 100
    max_allocated_storage_gib: int = 1000
    multi_az: bool = True
    read_replicas: int = 0
    backup_retention_days: int = 30
    backup_window: str = "03:00-04:00"
    maintenance_window: str = "sun:06:00-sun:07:00"
    deletion_protection: bool = True
    slow_query_ms: int = 500
    max_connections: int | None = None
    apply_immediately: bool = False
    """Modify now rather than in the maintenance window (a Multi-AZ class change fails over)."""
    performance_insights_retention_days: int = 7
    log_retention_days: int = 90
    protect: bool = True
    """Pulumi ``protect`` on the instance and key (and ``retain_on_delete`` on the key)."""


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
        family = versions.postgres_parameter_group_family(args.engine_version)

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
        self.instance = aws.rds.Instance(
            f"{name}-db",
            identifier=identifier,
            engine="postgres",
            engine_version=args.engine_version,
            # Refuse paid RDS Extended Support when a major reaches end of standard support.
            engine_lifecycle_support="open-source-rds-extended-support-disabled",
            db_name=args.database_name,
            username="platform_admin",
            manage_master_user_password=True,
            master_user_secret_kms_key_id=key.arn,
            db_subnet_group_name=subnets.name,
            port=PORT,
            storage_type="gp3",
            allocated_storage=args.allocated_storage_gib,
            max_allocated_storage=args.max_allocated_storage_gib,
            multi_az=args.multi_az,
            backup_retention_period=args.backup_retention_days,
            backup_window=args.backup_window,
            delete_automated_backups=False,
            skip_final_snapshot=False,
            # unique per incarnation: a second destroy of a re-created stack cannot collide
            final_snapshot_identifier=snapshot_suffix.hex.apply(
                lambda h: f"{identifier}-final-{h}"
            ),
            allow_major_version_upgrade=True,
            tags={"backup": "true"},
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect, depends_on=log_groups),
            **common,
        )
        self._replicas(name, args, identifier, common)

        self.endpoint = self.instance.address
        self.port = self.instance.port
        self.database_name = pulumi.Output.from_input(args.database_name)
        self.master_secret_arn = self.instance.master_user_secrets.apply(
            lambda secrets: (secrets[0].secret_arn or "") if secrets else ""
        )
        self.kms_key_arn = key.arn
        self.security_group_id = self.security_group.id
        self.instance_identifier = self.instance.identifier
        self.identifier = identifier
        """The instance identifier, known before the instance exists (alarm names)."""
        self.replica_identifiers = tuple(
            f"{identifier}-replica-{index}" for index in range(args.read_replicas)
        )
        self.register_outputs(
            {
                "endpoint": self.endpoint,
                "port": self.port,
                "masterSecretArn": self.master_secret_arn,
                "securityGroupId": self.security_group_id,
            }
        )

    def _network(self, name: str, args: RdsPostgresArgs, identifier: str) -> aws.rds.SubnetGroup:
        """The database subnets, and a security group admitting only the nodes on 5432."""
        child = pulumi.ResourceOptions(parent=self)
        subnets = aws.rds.SubnetGroup(
            f"{name}-subnets",
            name=f"{identifier}-subnets",
            description=f"database subnets of {identifier}",
            subnet_ids=args.subnet_ids,
            opts=child,
        )
        self.security_group = service_security_group(
            name,
            vpc_id=args.vpc_id,
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
            "log_min_duration_statement": (str(args.slow_query_ms), "immediate"),
            "log_connections": ("1", "immediate"),
            "log_disconnections": ("1", "immediate"),
            "log_lock_waits": ("1", "immediate"),
            "log_temp_files": ("0", "immediate"),
            "idle_in_transaction_session_timeout": ("600000", "immediate"),
        }
        if args.max_connections is not None:
            parameters["max_connections"] = (str(args.max_connections), "pending-reboot")
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
                retention_in_days=args.log_retention_days,
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
        common: dict[str, Any] = {
            "instance_class": args.instance_class,
            "storage_encrypted": True,
            "kms_key_id": key_arn,
            "publicly_accessible": False,
            "vpc_security_group_ids": [self.security_group.id],
            "parameter_group_name": self.parameter_group.name,
            "iam_database_authentication_enabled": True,
            "performance_insights_enabled": True,
            "performance_insights_kms_key_id": key_arn,
            "performance_insights_retention_period": args.performance_insights_retention_days,
            "monitoring_interval": 30,
            "monitoring_role_arn": monitoring_role_arn,
            "enabled_cloudwatch_logs_exports": list(LOG_EXPORTS),
            "auto_minor_version_upgrade": True,
            "ca_cert_identifier": CA_CERTIFICATE,
            "copy_tags_to_snapshot": True,
            "deletion_protection": args.deletion_protection,
            "maintenance_window": args.maintenance_window,
            "apply_immediately": args.apply_immediately,
        }
        return common

    def _replicas(
        self, name: str, args: RdsPostgresArgs, identifier: str, common: dict[str, Any]
    ) -> None:
        if args.read_replicas:
            # RDS refuses a replica of a source whose master password it manages in Secrets
            # Manager (the config refuses it first, naming the key).
            raise ValueError("read replicas need a source without an RDS-managed master password")
        for index in range(args.read_replicas):
            aws.rds.Instance(
                f"{name}-replica-{index}",
                identifier=f"{identifier}-replica-{index}",
                replicate_source_db=self.instance.identifier,
                storage_type="gp3",
                max_allocated_storage=args.max_allocated_storage_gib,
                multi_az=False,
                backup_retention_period=0,
                skip_final_snapshot=True,
                opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
                **common,
            )
