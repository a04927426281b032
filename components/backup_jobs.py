"""BackupJobs: AWS Backup vaults and plan, the dump bucket, the pg_dump CronJob and the
restore check.

- AWS Backup: a vault under a customer-managed key (Vault Lock in governance mode when asked),
  a plan with daily (and weekly/monthly) rules, copies to a vault in the DR region, and a
  selection of everything tagged ``backup=true`` (the RDS instance carries it);
- a dump bucket (versioned, SSE-KMS, TLS-only, lifecycle) replicated to the DR region;
- ``pg-dump``: a CronJob that dumps the database in custom format into an emptyDir (init
  container, postgres client of the engine's major) and uploads it with SSE-KMS to
  ``s3://<bucket>/<env>/postgres/<timestamp>.dump`` (aws-cli container) through a role that
  may only ``s3:PutObject`` under that prefix;
- ``restore-check``: a weekly CronJob that runs components/scripts/restore_check.py (mounted from a
  ConfigMap) to fetch the newest dump, fail when it is older than the RPO or empty, publish
  ``Platform/Backups`` metrics, then ``pg_restore --list`` it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from . import versions
from ._shared import (
    RDS_CA_DIR,
    RDS_CA_FILE,
    RDS_CA_VOLUME,
    external_secret,
    rds_ca_init_container,
    rds_ca_volume,
)
from ._util import Statement, policy_document, service_trust_policy
from .app_deployment import container_security_context
from .app_namespace import database_client_namespace, pod_security_context
from .buckets import Lifecycle, secure_bucket
from .iam_roles import OidcProvider, service_account_role
from .kms import customer_managed_key

NAMESPACE = "backups"
CREDENTIALS = "postgres-credentials"
RESTORE_CHECK_NAMESPACE = "Platform/Backups"
BACKUP_FAILURE_PATTERN = {
    "source": ["aws.backup"],
    "detail-type": [
        "Backup Job State Change",
        "Copy Job State Change",
        "Restore Job State Change",
    ],
    # backup and copy events report `state`, restore events `status` (AWS Backup User Guide,
    # "Monitoring AWS Backup events using EventBridge")
    "detail": {
        "$or": [
            {"state": ["FAILED", "ABORTED", "EXPIRED", "PARTIAL"]},
            {"status": ["FAILED", "ABORTED"]},
        ]
    },
}
"""AWS Backup's EventBridge events for jobs that did not complete."""
RESTORE_CHECK_SOURCE = Path(__file__).resolve().parent / "scripts" / "restore_check.py"
BACKUP_POLICIES = (
    "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup",
    "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores",
)
UID = 10001


@dataclass(frozen=True, kw_only=True)
class BackupJobsArgs:
    """Inputs; defaults are the production-safe choice."""

    environment: str
    region: str
    dr_provider: aws.Provider
    k8s_provider: k8s.Provider
    oidc: OidcProvider
    database_host: pulumi.Input[str]
    database_name: pulumi.Input[str]
    database_secret: pulumi.Input[str]
    """Secrets Manager name (or ARN) of the backup login (``pg_read_all_data``)."""
    data_subnet_cidrs: Sequence[str]
    daily_retention_days: int
    weekly_monthly: bool
    weekly_retention_days: int
    monthly_retention_days: int
    cross_region_copy: bool
    vault_lock: bool
    lock_min_days: int
    lock_max_days: int
    bucket_replication: bool
    dump_retention_days: int
    dump_transition_days: int | None
    pg_dump_schedule: str
    restore_check_schedule: str
    dump_volume_gib: int
    """Scratch volume (gp3 ephemeral PVC per run) for the dump and the restore download."""
    storage_class: str = "gp3"
    restore_check_interval_days: int = 1
    """Longest gap between restore checks: the staleness alarm's window (at most 6)."""
    engine_version: str
    """The database's engine (major): the pg_dump/pg_restore client follows its major."""
    max_dump_age_minutes: int = 120
    alarm_topic_arn: pulumi.Input[str] | None = None
    secret_store: str
    """ClusterSecretStore serving the backups namespace (``ClusterAddons``' output)."""
    """Where failed backup/copy/restore jobs, a missing DR copy and a failed or stale restore
    check are reported (EventBridge rules and CloudWatch alarms)."""
    ready: Sequence[pulumi.Resource] = ()
    credentials_ready: Sequence[pulumi.Resource] = ()
    """The backup login's current secret value (read only after it exists)."""
    credentials_rotation: int
    """Force-syncs the credentials ExternalSecret when bumped."""
    kubernetes_version: str
    """The cluster's minor: the Pod Security labels' version."""
    protect: bool = True


class BackupJobs(pulumi.ComponentResource):
    """Backups for one environment."""

    vault: aws.backup.Vault
    bucket: aws.s3.Bucket

    def __init__(
        self, name: str, args: BackupJobsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("platform:components:BackupJobs", name, None, opts)
        self._name = name
        self._args = args
        child = pulumi.ResourceOptions(parent=self)
        account = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self))
        env = args.environment

        key = customer_managed_key(
            f"{name}-key", f"backups of {env}", parent=self, protect=args.protect
        )
        self.vault = aws.backup.Vault(
            f"{name}-vault",
            name=f"{env}-backups",
            kms_key_arn=key.arn,
            force_destroy=not args.protect,
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        if args.vault_lock:
            # governance mode: no changeable_for_days (compliance mode would be irreversible)
            aws.backup.VaultLockConfiguration(
                f"{name}-vault-lock",
                backup_vault_name=self.vault.name,
                min_retention_days=args.lock_min_days,
                max_retention_days=args.lock_max_days,
                opts=child,
            )
        dr_vault: aws.backup.Vault | None = None
        dr_key: aws.kms.Key | None = None
        if args.cross_region_copy or args.bucket_replication:
            dr_key = customer_managed_key(
                f"{name}-dr-key",
                f"DR copies of {env} backups",
                parent=self,
                protect=args.protect,
                provider=args.dr_provider,
            )
        if args.cross_region_copy and dr_key is not None:
            dr_vault = aws.backup.Vault(
                f"{name}-dr-vault",
                name=f"{env}-backups-dr",
                kms_key_arn=dr_key.arn,
                force_destroy=not args.protect,
                opts=pulumi.ResourceOptions(
                    parent=self, provider=args.dr_provider, protect=args.protect
                ),
            )
        self._plan(dr_vault)

        # --- dump bucket (+ replica) ---------------------------------------------------------
        created: list[pulumi.Resource] = []
        self.bucket = secure_bucket(
            f"{name}-dumps",
            bucket_name=account.account_id.apply(lambda a: f"{env}-db-dumps-{a}"),
            kms_key_arn=key.arn,
            parent=self,
            protect=args.protect,
            lifecycle=Lifecycle(
                transition_days=args.dump_transition_days,
                expiration_days=args.dump_retention_days,
                noncurrent_days=7,
            ),
            created=created,
        )
        if args.bucket_replication and dr_key is not None:
            self._replication(account.account_id, key, dr_key, created)

        if args.alarm_topic_arn is not None:
            self._notifications(args.alarm_topic_arn)

        # --- in the cluster ------------------------------------------------------------------
        self._kubernetes(key)
        self.register_outputs({"vault": self.vault.name, "bucket": self.bucket.bucket})

    def _plan(self, dr_vault: aws.backup.Vault | None) -> None:
        a = self._args
        child = pulumi.ResourceOptions(parent=self)

        def rule(rule_name: str, schedule: str, days: int) -> aws.backup.PlanRuleArgs:
            copies = (
                [
                    aws.backup.PlanRuleCopyActionArgs(
                        destination_vault_arn=dr_vault.arn,
                        lifecycle=aws.backup.PlanRuleCopyActionLifecycleArgs(delete_after=days),
                    )
                ]
                if dr_vault is not None
                else None
            )
            return aws.backup.PlanRuleArgs(
                rule_name=rule_name,
                target_vault_name=self.vault.name,
                schedule=schedule,
                schedule_expression_timezone="Etc/UTC",
                start_window=60,
                completion_window=360,
                lifecycle=aws.backup.PlanRuleLifecycleArgs(delete_after=days),
                copy_actions=copies,
                recovery_point_tags={"environment": a.environment, "rule": rule_name},
            )

        rules = [rule("daily", "cron(0 4 ? * * *)", a.daily_retention_days)]
        if a.weekly_monthly:
            rules += [
                rule("weekly", "cron(0 4 ? * SUN *)", a.weekly_retention_days),
                rule("monthly", "cron(0 4 1 * ? *)", a.monthly_retention_days),
            ]
        plan = aws.backup.Plan(
            f"{self._name}-plan", name=f"{a.environment}-backups", rules=rules, opts=child
        )
        role = aws.iam.Role(
            f"{self._name}-service",
            description="AWS Backup service role",
            assume_role_policy=service_trust_policy("backup.amazonaws.com"),
            opts=child,
        )
        attachments = [
            aws.iam.RolePolicyAttachment(
                f"{self._name}-service-{arn.rsplit('/', 1)[-1]}",
                role=role.name,
                policy_arn=arn,
                opts=child,
            )
            for arn in BACKUP_POLICIES
        ]
        aws.backup.Selection(
            f"{self._name}-tagged",
            name=f"{a.environment}-tagged",
            plan_id=plan.id,
            iam_role_arn=role.arn,
            selection_tags=[
                aws.backup.SelectionSelectionTagArgs(
                    type="STRINGEQUALS", key="backup", value="true"
                )
            ],
            opts=pulumi.ResourceOptions(parent=self, depends_on=attachments),
        )

    def _notifications(self, topic_arn: pulumi.Input[str]) -> None:
        """Failures reach people: every failed, aborted, expired or partial AWS Backup job
        (backup, DR copy, restore) as an event to the alarm topic; an alarm when no copy
        reached the DR vault for two days; alarms on the restore check's own metric."""
        a = self._args
        child = pulumi.ResourceOptions(parent=self)
        rule = aws.cloudwatch.EventRule(
            f"{self._name}-job-failures",
            description=f"AWS Backup jobs of {a.environment} that did not complete",
            event_pattern=json.dumps(BACKUP_FAILURE_PATTERN, sort_keys=True),
            opts=child,
        )
        aws.cloudwatch.EventTarget(
            f"{self._name}-job-failures",
            rule=rule.name,
            arn=topic_arn,
            opts=child,
        )
        alarms = backup_alarm_specs(a)
        for suffix, spec in alarms:
            aws.cloudwatch.MetricAlarm(
                f"{self._name}-{suffix}",
                name=f"{a.environment}-{suffix}",
                comparison_operator="LessThanThreshold",
                threshold=1,
                alarm_actions=[topic_arn],
                ok_actions=[topic_arn],
                opts=child,
                **spec,
            )

    def _replication(
        self,
        account_id: pulumi.Output[str],
        key: aws.kms.Key,
        dr_key: aws.kms.Key,
        created: list[pulumi.Resource],
    ) -> None:
        a = self._args
        replica = secure_bucket(
            f"{self._name}-dumps-dr",
            bucket_name=account_id.apply(lambda acct: f"{a.environment}-db-dumps-dr-{acct}"),
            kms_key_arn=dr_key.arn,
            parent=self,
            protect=a.protect,
            lifecycle=Lifecycle(
                transition_days=None, expiration_days=a.dump_retention_days, noncurrent_days=7
            ),
            provider=a.dr_provider,
            created=created,
        )
        child = pulumi.ResourceOptions(parent=self)
        role = aws.iam.Role(
            f"{self._name}-replication",
            description="S3 replication of the dump bucket to the DR region",
            assume_role_policy=service_trust_policy("s3.amazonaws.com"),
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{self._name}-replication",
            role=role.id,
            policy=pulumi.Output.all(self.bucket.arn, replica.arn, key.arn, dr_key.arn).apply(
                lambda v: replication_policy(v[0], v[1], v[2], v[3])
            ),
            opts=child,
        )
        aws.s3.BucketReplicationConfig(
            f"{self._name}-dumps",
            bucket=self.bucket.id,
            role=role.arn,
            rules=[
                aws.s3.BucketReplicationConfigRuleArgs(
                    id="to-dr-region",
                    status="Enabled",
                    filter=aws.s3.BucketReplicationConfigRuleFilterArgs(prefix=""),
                    delete_marker_replication=aws.s3.BucketReplicationConfigRuleDeleteMarkerReplicationArgs(
                        status="Disabled"
                    ),
                    source_selection_criteria=aws.s3.BucketReplicationConfigRuleSourceSelectionCriteriaArgs(
                        sse_kms_encrypted_objects=aws.s3.BucketReplicationConfigRuleSourceSelectionCriteriaSseKmsEncryptedObjectsArgs(
                            status="Enabled"
                        )
                    ),
                    destination=aws.s3.BucketReplicationConfigRuleDestinationArgs(
                        bucket=replica.arn,
                        storage_class="STANDARD_IA",
                        encryption_configuration=aws.s3.BucketReplicationConfigRuleDestinationEncryptionConfigurationArgs(
                            replica_kms_key_id=dr_key.arn
                        ),
                    ),
                )
            ],
            # both buckets must be versioned first
            opts=pulumi.ResourceOptions(parent=self, depends_on=created),
        )

    # --- Kubernetes ----------------------------------------------------------------------------

    def _kubernetes(self, key: aws.kms.Key) -> None:
        a = self._args
        name = self._name
        namespace = database_client_namespace(
            name,
            NAMESPACE,
            data_subnet_cidrs=a.data_subnet_cidrs,
            provider=a.k8s_provider,
            parent=self,
            egress_policy="backup-egress",
            kubernetes_version=a.kubernetes_version,
        )
        scoped = pulumi.ResourceOptions(
            parent=self, provider=a.k8s_provider, depends_on=[namespace]
        )
        credentials = external_secret(
            f"{name}-credentials",
            namespace=NAMESPACE,
            secret=CREDENTIALS,
            store=a.secret_store,
            data={
                "PGUSER": (a.database_secret, "username"),
                "PGPASSWORD": (a.database_secret, "password"),
            },
            annotations={"force-sync": str(a.credentials_rotation)},
            opts=pulumi.ResourceOptions(
                parent=self,
                provider=a.k8s_provider,
                depends_on=[namespace, *a.ready, *a.credentials_ready],
            ),
        )
        self._identities(key, scoped)
        script = k8s.core.v1.ConfigMap(
            f"{name}-restore-check-script",
            metadata={"name": "restore-check", "namespace": NAMESPACE},
            data={"restore_check.py": RESTORE_CHECK_SOURCE.read_text()},
            opts=scoped,
        )
        env_vars = pulumi.Output.all(self.bucket.bucket, key.arn, a.database_host, a.database_name)
        dump_spec: Any = env_vars.apply(lambda v: self._dump_job(v[0], v[1], v[2], v[3]))
        check_spec: Any = env_vars.apply(lambda v: self._check_job(v[0]))
        for job, spec, extra in (
            ("pg-dump", dump_spec, [credentials]),
            ("restore-check", check_spec, [script, credentials]),
        ):
            k8s.batch.v1.CronJob(
                f"{name}-{job}",
                metadata={
                    "name": job,
                    "namespace": NAMESPACE,
                    "labels": {"app.kubernetes.io/name": job},
                },
                spec=spec,
                opts=pulumi.ResourceOptions(
                    parent=self, provider=a.k8s_provider, depends_on=[namespace, *extra]
                ),
            )

    def _identities(self, key: aws.kms.Key, scoped: pulumi.ResourceOptions) -> None:
        """pg-dump may put under ``<env>/postgres/``; the restore check may read there; each
        through its own IRSA role and ServiceAccount."""
        a, name, env = self._args, self._name, self._args.environment
        prefix = f"{env}/postgres/"
        dump_role = service_account_role(
            f"{name}-pg-dump",
            oidc=a.oidc,
            namespace=NAMESPACE,
            service_account="pg-dump",
            statements=pulumi.Output.all(self.bucket.arn, key.arn).apply(
                lambda v: dump_statements(v[0], v[1], prefix)
            ),
            parent=self,
        )
        check_role = service_account_role(
            f"{name}-restore-check",
            oidc=a.oidc,
            namespace=NAMESPACE,
            service_account="restore-check",
            statements=pulumi.Output.all(self.bucket.arn, key.arn).apply(
                lambda v: restore_check_statements(v[0], v[1], prefix)
            ),
            parent=self,
        )
        for sa, role in (("pg-dump", dump_role), ("restore-check", check_role)):
            k8s.core.v1.ServiceAccount(
                f"{name}-{sa}-sa",
                metadata={
                    "name": sa,
                    "namespace": NAMESPACE,
                    "annotations": {"eks.amazonaws.com/role-arn": role.arn},
                },
                automount_service_account_token=False,
                opts=scoped,
            )

    def _pod(
        self,
        service_account: str,
        init: dict[str, Any],
        main: dict[str, Any],
        volumes: list[dict[str, Any]],
    ) -> dict[str, Any]:
        return {
            "serviceAccountName": service_account,
            "automountServiceAccountToken": False,
            "restartPolicy": "Never",
            "securityContext": pod_security_context(UID),
            "initContainers": [init],
            "containers": [main],
            "volumes": volumes,
        }

    def _container(
        self,
        name: str,
        image: str,
        command: list[str],
        env: list[dict[str, Any]],
        mounts: list[dict[str, Any]],
        env_from: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        container: dict[str, Any] = {
            "name": name,
            "image": image,
            "command": command,
            "env": [{"name": "HOME", "value": "/tmp"}, *env],
            "securityContext": container_security_context(),
            "resources": {
                "requests": {"cpu": "250m", "memory": "256Mi", "ephemeral-storage": "512Mi"},
                "limits": {"cpu": "1", "memory": "1Gi", "ephemeral-storage": "1Gi"},
            },
            "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}, *mounts],
        }
        if env_from:
            container["envFrom"] = env_from
        return container

    def _job_spec(self, schedule: str, pod: dict[str, Any], deadline: int) -> dict[str, Any]:
        return {
            "schedule": schedule,
            "timeZone": "Etc/UTC",
            "concurrencyPolicy": "Forbid",
            "startingDeadlineSeconds": 600,
            # finished pods keep their dump volume until the Job goes: keep few
            "successfulJobsHistoryLimit": 1,
            "failedJobsHistoryLimit": 1,
            "jobTemplate": {
                "spec": {
                    "backoffLimit": 2,
                    "activeDeadlineSeconds": deadline,
                    "ttlSecondsAfterFinished": 86400,
                    "template": {
                        "metadata": {"labels": {"app.kubernetes.io/part-of": "backups"}},
                        "spec": pod,
                    },
                }
            },
        }

    def _volumes(self) -> list[dict[str, Any]]:
        """``/tmp`` in memory-backed node storage; the dump on its own gp3 volume, created for
        the run and deleted with the pod (a node's 50 GiB root disk cannot hold the dump of a
        database allowed to grow to a terabyte)."""
        a = self._args
        return [
            {"name": "tmp", "emptyDir": {"sizeLimit": "256Mi"}},
            {
                "name": "dump",
                "ephemeral": {
                    "volumeClaimTemplate": {
                        "metadata": {"labels": {"app.kubernetes.io/part-of": "backups"}},
                        "spec": {
                            "accessModes": ["ReadWriteOnce"],
                            "storageClassName": a.storage_class,
                            "resources": {"requests": {"storage": f"{a.dump_volume_gib}Gi"}},
                        },
                    }
                },
            },
        ]

    def _dump_job(self, bucket: str, key_arn: str, host: str, database: str) -> dict[str, Any]:
        a = self._args
        dump_mount = [{"name": "dump", "mountPath": "/dump"}]
        pg = [
            {"name": "PGHOST", "value": host},
            {"name": "PGDATABASE", "value": database},
            {"name": "PGSSLMODE", "value": "verify-full"},
            {"name": "PGSSLROOTCERT", "value": RDS_CA_FILE},
        ]
        init = self._container(
            "pg-dump",
            versions.postgres_client_image(self._args.engine_version),
            ["pg_dump", "--format=custom", "--compress=6", "--no-owner", "--file=/dump/db.dump"],
            pg,
            [*dump_mount, {"name": RDS_CA_VOLUME, "mountPath": RDS_CA_DIR, "readOnly": True}],
            env_from=[{"secretRef": {"name": CREDENTIALS}}],
        )
        upload = self._container(
            "upload",
            versions.AWS_CLI_IMAGE.version,
            [
                "/bin/sh",
                "-ec",
                (
                    "test -s /dump/db.dump; "
                    'aws s3 cp /dump/db.dump "s3://$BUCKET/$PREFIX$(date -u +%Y%m%dT%H%M%SZ).dump" '
                    '--sse aws:kms --sse-kms-key-id "$KMS_KEY" --only-show-errors'
                ),
            ],
            [
                {"name": "BUCKET", "value": bucket},
                {"name": "PREFIX", "value": f"{a.environment}/postgres/"},
                {"name": "KMS_KEY", "value": key_arn},
                {"name": "AWS_REGION", "value": a.region},
            ],
            dump_mount,
        )
        pod = self._pod("pg-dump", init, upload, [*self._volumes(), rds_ca_volume()])
        pod["initContainers"].insert(
            0,
            rds_ca_init_container(
                a.region, versions.PYTHON_BOTO3_IMAGE.version, container_security_context()
            ),
        )
        return self._job_spec(a.pg_dump_schedule, pod, 3000)

    def _check_job(self, bucket: str) -> dict[str, Any]:
        """fetch (newest dump, age; publishes only failures) -> pg_restore --list (the restore
        test, its table of contents to a file) -> report (``RestoreCheckSucceeded=1`` only
        now, after the test passed)."""
        a = self._args
        mounts = [{"name": "dump", "mountPath": "/dump"}]
        script = {"name": "script", "mountPath": "/opt/restore-check", "readOnly": True}
        common = [
            "python3", "/opt/restore-check/restore_check.py",
            "--bucket", bucket, "--environment", a.environment,
            "--max-age-minutes", str(a.max_dump_age_minutes),
            "--region", a.region, "--publish-metrics",
        ]  # fmt: skip
        fetch = self._container(
            "fetch",
            versions.PYTHON_BOTO3_IMAGE.version,
            [*common, "--download", "/dump/latest.dump"],
            [],
            [*mounts, script],
        )
        verify = self._container(
            "pg-restore-list",
            versions.postgres_client_image(a.engine_version),
            ["/bin/sh", "-ec", "pg_restore --list /dump/latest.dump > /dump/toc.txt"],
            [],
            mounts,
        )
        report = self._container(
            "report",
            versions.PYTHON_BOTO3_IMAGE.version,
            [*common, "--verified-toc", "/dump/toc.txt"],
            [],
            [*mounts, script],
        )
        volumes = [*self._volumes(), {"name": "script", "configMap": {"name": "restore-check"}}]
        pod = self._pod("restore-check", fetch, report, volumes)
        pod["initContainers"].append(verify)
        return self._job_spec(a.restore_check_schedule, pod, 3600)


def replication_policy(source: str, replica: str, source_key: str, replica_key: str) -> str:
    """The S3 replication role: read the source's versions, write the replica, use both keys."""
    statements: list[Statement] = [
        {
            "Sid": "ReadSource",
            "Effect": "Allow",
            "Action": ["s3:GetReplicationConfiguration", "s3:ListBucket"],
            "Resource": source,
        },
        {
            "Sid": "ReadSourceVersions",
            "Effect": "Allow",
            "Action": [
                "s3:GetObjectVersionForReplication",
                "s3:GetObjectVersionAcl",
                "s3:GetObjectVersionTagging",
            ],
            "Resource": f"{source}/*",
        },
        {
            "Sid": "WriteReplica",
            "Effect": "Allow",
            "Action": ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"],
            "Resource": f"{replica}/*",
        },
        {
            "Sid": "DecryptSource",
            "Effect": "Allow",
            "Action": "kms:Decrypt",
            "Resource": source_key,
        },
        {
            "Sid": "EncryptReplica",
            "Effect": "Allow",
            "Action": ["kms:Encrypt", "kms:GenerateDataKey"],
            "Resource": replica_key,
        },
    ]
    return policy_document(*statements)


def dump_statements(bucket_arn: str, key_arn: str, prefix: str) -> list[Statement]:
    """pg-dump may only write objects under its prefix (and use the bucket key to do so)."""
    return [
        {"Sid": "PutDumps", "Effect": "Allow", "Action": "s3:PutObject",
         "Resource": f"{bucket_arn}/{prefix}*"},
        {"Sid": "EncryptDumps", "Effect": "Allow",
         "Action": ["kms:GenerateDataKey", "kms:Decrypt"], "Resource": key_arn},
    ]  # fmt: skip


def restore_check_statements(bucket_arn: str, key_arn: str, prefix: str) -> list[Statement]:
    """restore-check reads and lists the prefix and publishes its two metrics."""
    return [
        {"Sid": "ReadDumps", "Effect": "Allow", "Action": "s3:GetObject",
         "Resource": f"{bucket_arn}/{prefix}*"},
        {"Sid": "ListDumps", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": bucket_arn,
         "Condition": {"StringLike": {"s3:prefix": [f"{prefix}*"]}}},
        {"Sid": "DecryptDumps", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": key_arn},
        {"Sid": "Metrics", "Effect": "Allow", "Action": "cloudwatch:PutMetricData",
         "Resource": "*",
         "Condition": {"StringEquals": {"cloudwatch:namespace": "Platform/Backups"}}},
    ]  # fmt: skip


def backup_alarm_specs(a: BackupJobsArgs) -> list[tuple[str, dict[str, Any]]]:
    """(suffix, MetricAlarm arguments): the restore check failed or went stale, and (with DR
    copies) no copy reached the DR vault for two days."""
    restore_dims = {"Environment": a.environment}
    alarms: list[tuple[str, dict[str, Any]]] = [
        (
            "restore-check-failed",
            {
                "namespace": RESTORE_CHECK_NAMESPACE,
                "metric_name": "RestoreCheckSucceeded",
                "dimensions": restore_dims,
                "statistic": "Minimum",
                "period": 86400,
                "evaluation_periods": 1,
                "treat_missing_data": "notBreaching",
                "alarm_description": "the restore test of the newest dump failed",
            },
        ),
        (
            "restore-check-stale",
            {
                "namespace": RESTORE_CHECK_NAMESPACE,
                "metric_name": "RestoreCheckSucceeded",
                "dimensions": restore_dims,
                "statistic": "Maximum",
                "period": 86400,
                "evaluation_periods": a.restore_check_interval_days + 1,
                "datapoints_to_alarm": a.restore_check_interval_days + 1,
                "treat_missing_data": "breaching",
                "alarm_description": (
                    "no successful restore test in "
                    f"{a.restore_check_interval_days + 1} days (the check did not run)"
                ),
            },
        ),
    ]
    if a.cross_region_copy:
        alarms.append(
            (
                "dr-copy-missing",
                {
                    "namespace": "AWS/Backup",
                    "metric_name": "NumberOfCopyJobsCompleted",
                    # copy-job metrics carry the destination vault's name
                    "dimensions": {"BackupVaultName": f"{a.environment}-backups-dr"},
                    "statistic": "Sum",
                    "period": 86400,
                    "evaluation_periods": 2,
                    "datapoints_to_alarm": 2,
                    "treat_missing_data": "breaching",
                    "alarm_description": (
                        "no recovery point was copied to the DR vault for 2 days: the "
                        "region-loss RPO is not met"
                    ),
                },
            )
        )
    return alarms
