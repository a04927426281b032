"""BackupJobs' AWS part: AWS Backup vaults (Vault Lock in governance mode when asked) and
plan (daily, weekly/monthly rules, copies to a vault in the DR region, a selection of
everything tagged ``backup=true``), the dump bucket replicated to the DR region, and the
EventBridge rule and alarms that report failed jobs, a missing DR copy and a failed or stale
restore check."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_aws as aws

from .._util import service_trust_policy
from ..buckets import Lifecycle, replicate, replication_failed_alarm, secure_bucket
from ..kms import customer_managed_key
from .args import BackupJobsArgs

RESTORE_CHECK_NAMESPACE = "Platform/Backups"
"""CloudWatch namespace of the restore check's metrics."""
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
BACKUP_POLICIES = (
    "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup",
    "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores",
    # S3 has its own pair (no service-role/ path): read every version and decrypt through S3
    "arn:aws:iam::aws:policy/AWSBackupServiceRolePolicyForS3Backup",
    "arn:aws:iam::aws:policy/AWSBackupServiceRolePolicyForS3Restore",
)
"""The AWS Backup service role's managed policies (AWS Backup Developer Guide, "Creating a
backup plan for Amazon S3"; the managed-policy reference)."""


class AwsBackupParts(pulumi.ComponentResource):
    """Recovery points in AWS (mixed into ``BackupJobs``, which owns the URNs)."""

    _name: str
    _args: BackupJobsArgs
    vault: aws.backup.Vault
    bucket: aws.s3.Bucket
    _replicas: list[tuple[str, pulumi.Input[str], pulumi.Input[str]]]

    def _aws(self) -> aws.kms.Key:
        """The vaults and their plan, the dump bucket and its replica, failure notifications;
        returns the backups' key (the jobs encrypt dumps with it)."""
        name, args = self._name, self._args
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
        self._replicas = list(args.replicated_buckets)
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
        return key

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
        if a.bucket_arns:
            aws.backup.Selection(
                f"{self._name}-buckets",
                name=f"{a.environment}-buckets",
                plan_id=plan.id,
                iam_role_arn=role.arn,
                resources=list(a.bucket_arns),
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
        for label, source, replica in self._replicas:
            replication_failed_alarm(
                f"{self._name}-{label}-replication-failed",
                alarm_name=f"{a.environment}-{label}-replication-failed",
                source=source,
                replica=replica,
                topic_arn=topic_arn,
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
        self._replicas.insert(0, ("dumps", self.bucket.bucket, replica.bucket))
        replicate(
            f"{self._name}-dumps",
            role_name=f"{self._name}-replication",
            description="S3 replication of the dump bucket to the DR region",
            source=(self.bucket, key),
            replica=(replica, dr_key),
            storage_class="STANDARD_IA",
            delete_markers=False,
            parent=self,
            versioned=created,
        )

    # --- Kubernetes ----------------------------------------------------------------------------


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
