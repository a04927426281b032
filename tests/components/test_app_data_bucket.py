"""The app data (media) bucket: hardened, replicated to the DR region under a key of that
region, selected by AWS Backup; staging opts out of the replica, not of the backup."""

from __future__ import annotations

import json

from components.backup_jobs import BACKUP_POLICIES
from tools.offline.harness import PlanResult
from tools.report.report import build

REPLICATION = "aws:s3/bucketReplicationConfig:BucketReplicationConfig"


def _dr_provider(plan: PlanResult) -> str:
    return next(p.urn for p in plan.graph.of_type("pulumi:providers:aws") if p.name == "aws-dr")


def test_data_bucket_replicates_to_the_dr_region(production: PlanResult) -> None:
    graph = production.graph
    source = graph.named("production-apps-data", "aws:s3/bucket:Bucket")
    replica = graph.named("production-apps-data-dr", "aws:s3/bucket:Bucket")
    replica_key = graph.named("production-apps-data-dr", "aws:kms/key:Key")
    source_key = graph.named("production-apps-data", "aws:kms/key:Key")
    dr = _dr_provider(production)
    assert replica.provider.startswith(dr)
    assert replica_key.provider.startswith(dr)
    assert not source.provider.startswith(dr)
    # the replica is as hardened as the source, under the DR region's key, and protected
    for kind in ("bucketPublicAccessBlock:BucketPublicAccessBlock", "bucketPolicy:BucketPolicy"):
        assert graph.named("production-apps-data-dr", f"aws:s3/{kind}").provider.startswith(dr)
    sse = graph.named(
        "production-apps-data-dr",
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    )
    default = sse.inputs["rules"][0]["applyServerSideEncryptionByDefault"]
    assert default == {"kmsMasterKeyId": replica_key.outputs["arn"], "sseAlgorithm": "aws:kms"}
    assert replica.options.protect
    assert replica_key.options.protect

    replication = graph.named("production-apps-data", REPLICATION)
    assert replication.inputs["bucket"] == source.outputs["id"]
    (rule,) = replication.inputs["rules"]
    assert rule["status"] == "Enabled"
    assert rule["filter"] == {"prefix": ""}
    destination = rule["destination"]
    assert destination["bucket"] == replica.outputs["arn"]
    assert destination["encryptionConfiguration"]["replicaKmsKeyId"] == replica_key.outputs["arn"]
    assert destination["storageClass"] == "STANDARD"  # served from after a region loss
    assert rule["sourceSelectionCriteria"]["sseKmsEncryptedObjects"]["status"] == "Enabled"
    assert rule["deleteMarkerReplication"] == {"status": "Enabled"}
    # versioning on both sides before the replication configuration (S3 refuses it otherwise)
    versioning = {
        v.urn
        for v in graph.of_type("aws:s3/bucketVersioning:BucketVersioning")
        if v.name in ("production-apps-data", "production-apps-data-dr")
    }
    assert len(versioning) == 2
    assert versioning <= set(replication.dependencies)
    # and after the role's policy: S3 does not retry an object that failed for want of it
    grant = graph.named("production-apps-data-replication", "aws:iam/rolePolicy:RolePolicy")
    assert grant.urn in replication.dependencies

    # the role reads only the source's versions and writes only the replica
    role = graph.named("production-apps-data-replication", "aws:iam/role:Role")
    assert replication.inputs["role"] == role.outputs["arn"]
    policy = json.loads(
        graph.named("production-apps-data-replication", "aws:iam/rolePolicy:RolePolicy").inputs[
            "policy"
        ]
    )
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    assert by_sid["WriteReplica"]["Resource"] == f"{replica.outputs['arn']}/*"
    assert by_sid["ReadSourceVersions"]["Resource"] == f"{source.outputs['arn']}/*"
    assert by_sid["DecryptSource"]["Resource"] == source_key.outputs["arn"]
    assert by_sid["EncryptReplica"]["Resource"] == replica_key.outputs["arn"]


def test_data_bucket_is_selected_by_aws_backup(staging: PlanResult, production: PlanResult) -> None:
    for plan in (staging, production):
        bucket = plan.graph.named(f"{plan.stack}-apps-data", "aws:s3/bucket:Bucket")
        selections = {
            s.name: s.inputs for s in plan.graph.of_type("aws:backup/selection:Selection")
        }
        (tag,) = selections[f"{plan.stack}-backups-tagged"]["selectionTags"]
        assert bucket.inputs["tags"][tag["key"]] == tag["value"]
        # by ARN too: a tag-only selection skips S3 where the Region is not opted in to it
        assert selections[f"{plan.stack}-backups-buckets"]["resources"] == [bucket.outputs["arn"]]
        # S3 needs its own managed policies on the service role (read versions, decrypt via S3)
        attached = {
            a.inputs["policyArn"]
            for a in plan.graph.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
            if a.inputs["role"] == plan.graph.named(f"{plan.stack}-backups-service").outputs["name"]
        }
        assert attached == set(BACKUP_POLICIES)
        assert "arn:aws:iam::aws:policy/AWSBackupServiceRolePolicyForS3Backup" in attached
        # the backup needs versioning on the bucket
        versioning = plan.graph.named(
            f"{plan.stack}-apps-data", "aws:s3/bucketVersioning:BucketVersioning"
        )
        assert versioning.inputs["versioningConfiguration"]["status"] == "Enabled"


def test_staging_keeps_its_data_in_the_region(staging: PlanResult) -> None:
    names = {r.name for r in staging.graph.of_type(REPLICATION)}
    assert names == set()
    assert not [b for b in staging.graph.of_type("aws:s3/bucket:Bucket") if "-dr" in b.name]


def test_replica_and_recovery_points_are_priced(production: PlanResult) -> None:
    lines = {
        line.item: line
        for line in build(production).cost.lines
        if line.component == "production-apps"
    }
    replica = lines["bucket replica (DR region)"]
    # 100 GiB Standard ($0.023) + 20 GiB/month cross-region ($0.02): the defaults
    assert replica.monthly_usd == 2.7
    # recovery points in the primary and the DR vault at $0.05/GiB-month
    assert lines["bucket recovery points (AWS Backup)"].monthly_usd == 10.0


def test_a_failed_replication_raises_an_alarm(production: PlanResult, staging: PlanResult) -> None:
    """S3 does not retry an object that failed to replicate: the DR copy would lack it
    silently. Replication metrics are on, and each replicated bucket has an alarm."""
    graph = production.graph
    topic = graph.named("production-monitoring-alarms", "aws:sns/topic:Topic")
    for label, source, replica in (
        ("app-data", "production-apps-data", "production-apps-data-dr"),
        ("dumps", "production-backups-dumps", "production-backups-dumps-dr"),
    ):
        (rule,) = graph.named(source, REPLICATION).inputs["rules"]
        assert rule["destination"]["metrics"]["status"] == "Enabled"
        alarm = graph.named(f"production-backups-{label}-replication-failed")
        assert alarm.inputs["metricName"] == "OperationsFailedReplication"
        assert alarm.inputs["dimensions"] == {
            "SourceBucket": graph.named(source, "aws:s3/bucket:Bucket").outputs["bucket"],
            "DestinationBucket": graph.named(replica, "aws:s3/bucket:Bucket").outputs["bucket"],
            "RuleId": rule["id"],
        }
        assert alarm.inputs["alarmActions"] == [topic.outputs["arn"]]
    assert not [a for a in staging.graph.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
                if "replication" in a.name]  # fmt: skip
