"""BackupJobs under mocks, for both committed stacks."""

from __future__ import annotations

import json

import pytest

from components import versions
from components.backup_jobs import BACKUP_POLICIES
from tests.conftest import run_stack_config, stack_config
from tools.offline.harness import PlanResult


def _vaults(plan: PlanResult) -> dict[str, dict]:
    return {v.inputs["name"]: v for v in plan.graph.of_type("aws:backup/vault:Vault")}  # type: ignore[misc]


def test_vault_encrypted_with_project_key(plan: PlanResult) -> None:
    keys = {k.outputs["arn"]: k for k in plan.graph.of_type("aws:kms/key:Key")}
    vault = _vaults(plan)[f"{plan.stack}-backups"]
    assert vault.inputs["kmsKeyArn"] in keys
    assert vault.options.protect is (plan.stack == "production")


def test_vault_lock_only_in_production(staging: PlanResult, production: PlanResult) -> None:
    (lock,) = production.graph.of_type("aws:backup/vaultLockConfiguration:VaultLockConfiguration")
    assert (lock.inputs["minRetentionDays"], lock.inputs["maxRetentionDays"]) == (7, 400)
    assert "changeableForDays" not in lock.inputs  # governance mode
    assert not staging.graph.of_type("aws:backup/vaultLockConfiguration:VaultLockConfiguration")


def test_plan_rules_retention_and_copies(staging: PlanResult, production: PlanResult) -> None:
    (prod_plan,) = production.graph.of_type("aws:backup/plan:Plan")
    rules = {r["ruleName"]: r for r in prod_plan.inputs["rules"]}
    assert set(rules) == {"daily", "weekly", "monthly"}
    assert rules["daily"]["lifecycle"]["deleteAfter"] == 35
    assert rules["weekly"]["lifecycle"]["deleteAfter"] == 90
    assert rules["monthly"]["lifecycle"]["deleteAfter"] == 365
    dr_vault = _vaults(production)["production-backups-dr"]
    assert dr_vault.provider.startswith(
        next(p.urn for p in production.graph.of_type("pulumi:providers:aws") if p.name == "aws-dr")
    )
    for rule in rules.values():
        (copy,) = rule["copyActions"]
        assert copy["destinationVaultArn"] == dr_vault.outputs["arn"]
        assert ":us-west-2:" in copy["destinationVaultArn"]
    (stg_plan,) = staging.graph.of_type("aws:backup/plan:Plan")
    (daily,) = stg_plan.inputs["rules"]
    assert daily["lifecycle"]["deleteAfter"] == 7
    assert "copyActions" not in daily
    assert "production-backups-dr" not in _vaults(staging)


def test_selection_by_tag_with_managed_policies_only(plan: PlanResult) -> None:
    selection = plan.graph.named(f"{plan.stack}-backups-tagged", "aws:backup/selection:Selection")
    assert selection.inputs["selectionTags"] == [
        {"type": "STRINGEQUALS", "key": "backup", "value": "true"}
    ]
    role = plan.graph.named(f"{plan.stack}-backups-service", "aws:iam/role:Role")
    attached = {
        a.inputs["policyArn"]
        for a in plan.graph.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        if a.inputs["role"] == role.outputs["name"]
    }
    assert attached == set(BACKUP_POLICIES)
    assert not [
        p
        for p in plan.graph.of_type("aws:iam/rolePolicy:RolePolicy")
        if p.inputs["role"] == role.outputs["id"]
    ]
    (db,) = plan.graph.of_type("aws:rds/instance:Instance")
    assert db.inputs["tags"]["backup"] == "true"


def test_dump_bucket_hardened_and_replicated(staging: PlanResult, production: PlanResult) -> None:
    bucket = production.graph.named("production-backups-dumps", "aws:s3/bucket:Bucket")
    (sse,) = [
        s for s in production.graph.of_type(
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")
        if s.name == "production-backups-dumps"
    ]  # fmt: skip
    assert sse.inputs["rules"][0]["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "aws:kms"
    (lifecycle,) = [
        r for r in production.graph.of_type("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
        if r.name == "production-backups-dumps"
    ]  # fmt: skip
    rule = lifecycle.inputs["rules"][0]
    # dumps expire after 35 days: Standard-IA's 30-day minimum would cost more than Standard
    assert "transitions" not in rule
    assert rule["expiration"]["days"] == 35
    replication = production.graph.named(
        "production-backups-dumps", "aws:s3/bucketReplicationConfig:BucketReplicationConfig"
    )
    assert replication.inputs["bucket"] == bucket.outputs["id"]
    assert replication.inputs["rules"][0]["deleteMarkerReplication"] == {"status": "Disabled"}
    replica = production.graph.named("production-backups-dumps-dr", "aws:s3/bucket:Bucket")
    assert replication.inputs["rules"][0]["destination"]["bucket"] == replica.outputs["arn"]
    versioning = [
        v.urn for v in production.graph.of_type("aws:s3/bucketVersioning:BucketVersioning")
        if v.name.startswith("production-backups-dumps")
    ]  # fmt: skip
    assert len(versioning) == 2
    assert set(versioning) <= set(replication.dependencies)
    assert not staging.graph.of_type("aws:s3/bucketReplicationConfig:BucketReplicationConfig")


def _cronjob(plan: PlanResult, name: str) -> dict:
    (job,) = [
        j for j in plan.graph.of_type("kubernetes:batch/v1:CronJob")
        if j.inputs["metadata"]["name"] == name
    ]  # fmt: skip
    return job.inputs


@pytest.mark.parametrize(
    ("stack", "schedule"), [("staging", "30 3 * * *"), ("production", "0 * * * *")]
)
def test_pg_dump_schedule_and_hardening(
    stack: str, schedule: str, request: pytest.FixtureRequest
) -> None:
    plan = request.getfixturevalue(stack)
    job = _cronjob(plan, "pg-dump")["spec"]
    assert job["schedule"] == schedule
    assert job["concurrencyPolicy"] == "Forbid"
    assert job["startingDeadlineSeconds"] > 0
    assert job["jobTemplate"]["spec"]["activeDeadlineSeconds"] > 0
    assert job["successfulJobsHistoryLimit"] == 1  # finished pods keep their dump volume
    assert job["failedJobsHistoryLimit"] == 1  # BackupJobFailed still sees a failed run
    pod = job["jobTemplate"]["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    ca, dump = pod["initContainers"]
    assert ca["name"] == "rds-ca-bundle"
    assert dump["image"] == versions.postgres_client_image()
    assert {"name": "PGSSLMODE", "value": "verify-full"} in dump["env"]
    assert f":{versions.postgres_major()}." in dump["image"]  # client major == engine major
    assert "--format=custom" in dump["command"]
    (upload,) = pod["containers"]
    assert "--sse aws:kms" in upload["command"][-1]
    assert {"name": "PREFIX", "value": f"{stack}/postgres/"} in upload["env"]
    for container in (dump, upload):
        ctx = container["securityContext"]
        assert ctx["readOnlyRootFilesystem"] is True
        assert ctx["allowPrivilegeEscalation"] is False
        assert ctx["capabilities"] == {"drop": ["ALL"]}


def test_dump_role_may_only_put_under_its_prefix(plan: PlanResult) -> None:
    bucket = plan.graph.named(f"{plan.stack}-backups-dumps", "aws:s3/bucket:Bucket")
    policy = plan.graph.named(f"{plan.stack}-backups-pg-dump", "aws:iam/rolePolicy:RolePolicy")
    statements = {s["Sid"]: s for s in json.loads(policy.inputs["policy"])["Statement"]}
    assert statements["PutDumps"]["Action"] == "s3:PutObject"
    assert statements["PutDumps"]["Resource"] == f"{bucket.outputs['arn']}/{plan.stack}/postgres/*"
    s3_actions = [
        a
        for s in statements.values()
        for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
        if a.startswith("s3:")
    ]
    assert s3_actions == ["s3:PutObject"]


def test_restore_check_runs_daily_from_the_repo_script(plan: PlanResult) -> None:
    job = _cronjob(plan, "restore-check")["spec"]
    assert job["schedule"] == "0 7 * * *"
    pod = job["jobTemplate"]["spec"]["template"]["spec"]
    fetch, verify = pod["initContainers"]
    assert fetch["command"][:2] == ["python3", "/opt/restore-check/restore_check.py"]
    assert "--publish-metrics" in fetch["command"]
    assert "pg_restore --list" in verify["command"][-1]
    (script,) = [
        c for c in plan.graph.of_type("kubernetes:core/v1:ConfigMap")
        if c.inputs["metadata"]["name"] == "restore-check"
    ]  # fmt: skip
    assert "def newest_dump" in script.inputs["data"]["restore_check.py"]


BAD = [
    ("retention-shorter-than-schedule", {"pgDumpSchedule": "0 0 1 * *", "dumpRetentionDays": 7,
                                          "dumpTransitionDays": None},
     ["platform:backups", "shorter than two intervals"]),
    ("dr-region-equals-primary", {"drRegion": "us-east-1"}, ["backups.drRegion us-east-1 must differ"]),
    ("bad-cron", {"pgDumpSchedule": "every hour"}, ["platform:backups.pgDumpSchedule", "expected 5 fields"]),
    ("cron-out-of-range", {"pgDumpSchedule": "0 25 * * *"}, ["platform:backups.pgDumpSchedule", "out of range"]),
    ("standard-ia-for-a-few-days", {"dumpTransitionDays": 30, "dumpRetentionDays": 35},
     ["platform:backups", "less than 30 days in Standard-IA"]),
    ("retention-above-vault-lock-max", {"monthlyRetentionDays": 730},
     ["platform:backups", "monthlyRetentionDays 730 is above vaultLock.maxRetentionDays 400"]),
]  # fmt: skip


@pytest.mark.parametrize(("backups", "fragments"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_backup_config(backups: dict, fragments: list[str]) -> None:
    config = stack_config("production")
    config["platform:backups"] = backups
    result = run_stack_config(config, "production")
    assert result.error is not None
    for fragment in fragments:
        assert fragment in result.error, result.error
    assert len(result.graph) == 0


def test_dump_and_restore_images_follow_the_configured_major() -> None:
    config = stack_config("production")
    config["platform:database"] = {**config.get("platform:database", {}), "engineVersion": "18"}
    plan = run_stack_config(config, "production")
    assert plan.error is None, plan.error
    (db,) = plan.graph.of_type("aws:rds/instance:Instance")
    assert db.inputs["engineVersion"] == "18"
    dump = _cronjob(plan, "pg-dump")["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    check = _cronjob(plan, "restore-check")["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    images = [dump["initContainers"][1]["image"]] + [
        c["image"] for c in check["initContainers"] if "pg_restore" in " ".join(c["command"])
    ]
    assert len(images) == 2
    for image in images:
        assert image == versions.postgres_client_image("18")
        assert ":18." in image


def test_backup_failures_reach_the_alarm_topic(plan: PlanResult) -> None:
    (topic,) = [
        t for t in plan.graph.of_type("aws:sns/topic:Topic") if t.inputs["name"].endswith("-alarms")
    ]
    (rule,) = plan.graph.of_type("aws:cloudwatch/eventRule:EventRule")
    pattern = json.loads(rule.inputs["eventPattern"])
    assert pattern["source"] == ["aws.backup"]
    assert set(pattern["detail-type"]) == {
        "Backup Job State Change",
        "Copy Job State Change",
        "Restore Job State Change",
    }
    # backup/copy events report `state`, restore events `status`: both are matched
    (by_state, by_status) = pattern["detail"]["$or"]
    assert "FAILED" in by_state["state"]
    assert "FAILED" in by_status["status"]
    (target,) = plan.graph.of_type("aws:cloudwatch/eventTarget:EventTarget")
    assert target.inputs["arn"] == topic.outputs["arn"]
    policy = json.loads(plan.graph.of_type("aws:sns/topicPolicy:TopicPolicy")[0].inputs["policy"])
    (statement,) = policy["Statement"]
    assert "events.amazonaws.com" in statement["Principal"]["Service"]
    alarms = {
        a.inputs["name"]: a.inputs
        for a in plan.graph.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
    }
    failed = alarms[f"{plan.stack}-restore-check-failed"]
    stale = alarms[f"{plan.stack}-restore-check-stale"]
    assert failed["metricName"] == stale["metricName"] == "RestoreCheckSucceeded"
    assert stale["treatMissingData"] == "breaching"
    assert stale["evaluationPeriods"] * stale["period"] <= 7 * 86400  # CloudWatch's limit
    copy = alarms.get(f"{plan.stack}-dr-copy-missing")
    assert (copy is not None) == (plan.stack == "production")  # staging copies nothing
    if copy:
        assert copy["namespace"] == "AWS/Backup"
        assert copy["metricName"] == "NumberOfCopyJobsCompleted"
        assert copy["dimensions"] == {"BackupVaultName": "production-backups-dr"}


def test_restore_check_reports_success_only_after_pg_restore(plan: PlanResult) -> None:
    pod = _cronjob(plan, "restore-check")["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    fetch, verify = pod["initContainers"]
    (report,) = pod["containers"]
    assert "--download" in fetch["command"]
    assert "--verified-toc" not in fetch["command"]
    assert verify["command"][-1].startswith("pg_restore --list /dump/latest.dump > /dump/toc.txt")
    assert report["command"][-2:] == ["--verified-toc", "/dump/toc.txt"]


@pytest.mark.parametrize(("stack", "gib"), [("staging", 20), ("production", 100)])
def test_dump_scratch_space_is_sized_from_the_database(
    stack: str, gib: int, request: pytest.FixtureRequest
) -> None:
    plan = request.getfixturevalue(stack)
    for job in ("pg-dump", "restore-check"):
        pod = _cronjob(plan, job)["spec"]["jobTemplate"]["spec"]["template"]["spec"]
        (dump,) = [v for v in pod["volumes"] if v["name"] == "dump"]
        claim = dump["ephemeral"]["volumeClaimTemplate"]["spec"]
        assert claim["resources"]["requests"]["storage"] == f"{gib}Gi"  # allocatedStorageGib
        assert claim["storageClassName"] == "gp3"
        for container in pod["containers"] + pod["initContainers"]:
            assert "ephemeral-storage" in container["resources"]["requests"]


def test_restore_check_must_run_often_enough_to_be_watched() -> None:
    config = stack_config("staging")
    config["platform:backups"] = {**config["platform:backups"], "restoreCheckSchedule": "0 7 1 * *"}
    result = run_stack_config(config, "staging")
    assert result.error is not None
    assert "platform:backups" in result.error
    assert "restoreCheckSchedule" in result.error
