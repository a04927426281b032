"""A hardened S3 bucket, made the same way everywhere.

Public access blocked, ACLs disabled (BucketOwnerEnforced), TLS-only bucket policy, default
encryption (SSE-KMS with a bucket key when a key is given, else SSE-S3 — ALB access logs only
support SSE-S3), versioning and a lifecycle that expires old data and noncurrent versions.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from ._util import Statement, policy_document, service_trust_policy


@dataclass(frozen=True)
class Lifecycle:
    """Move objects to a colder class after ``transition_days``; delete after
    ``expiration_days``; keep noncurrent versions ``noncurrent_days``."""

    transition_days: int | None = 30
    transition_class: str = "STANDARD_IA"
    expiration_days: int | None = None
    noncurrent_days: int = 30
    prefix: str = ""


def tls_only_statement(bucket_arn: str) -> Statement:
    return {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [bucket_arn, f"{bucket_arn}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def lifecycle_rule(lifecycle: Lifecycle) -> aws.s3.BucketLifecycleConfigurationRuleArgs:
    """Transition, expiration, noncurrent expiry and aborted uploads, from ``lifecycle``."""
    return aws.s3.BucketLifecycleConfigurationRuleArgs(
        id="retention",
        status="Enabled",
        filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=lifecycle.prefix),
        transitions=[
            aws.s3.BucketLifecycleConfigurationRuleTransitionArgs(
                days=lifecycle.transition_days, storage_class=lifecycle.transition_class
            )
        ]
        if lifecycle.transition_days
        else None,
        expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(
            days=lifecycle.expiration_days
        )
        if lifecycle.expiration_days
        else None,
        noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
            noncurrent_days=lifecycle.noncurrent_days
        ),
        abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
            days_after_initiation=7
        ),
    )


def _encryption(
    name: str,
    bucket: aws.s3.Bucket,
    kms_key_arn: pulumi.Input[str] | None,
    child: pulumi.ResourceOptions,
) -> None:
    """Default encryption: SSE-KMS with the given key (and a bucket key), else SSE-S3."""
    by_default = (
        aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs
    )
    default = (
        by_default(sse_algorithm="aws:kms", kms_master_key_id=kms_key_arn)
        if kms_key_arn is not None
        else by_default(sse_algorithm="AES256")
    )
    aws.s3.BucketServerSideEncryptionConfiguration(
        name,
        bucket=bucket.id,
        rules=[
            aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                apply_server_side_encryption_by_default=default,
                bucket_key_enabled=kms_key_arn is not None,
            )
        ],
        opts=child,
    )


def secure_bucket(
    name: str,
    *,
    bucket_name: pulumi.Input[str],
    parent: pulumi.Resource,
    protect: bool,
    kms_key_arn: pulumi.Input[str] | None = None,
    versioning: bool = True,
    lifecycle: Lifecycle | None = Lifecycle(),
    policy_statements: Callable[[str], Sequence[Statement]] | None = None,
    provider: pulumi.ProviderResource | None = None,
    created: list[pulumi.Resource] | None = None,
    tags: Mapping[str, str] | None = None,
    with_policy: bool = True,
) -> aws.s3.Bucket:
    """Create the bucket and its hardening resources; return the bucket.

    ``policy_statements(bucket_arn)`` adds statements (e.g. log delivery) to the TLS-only
    policy. With ``protect`` the bucket is Pulumi-protected and never force-destroyed. The
    hardening resources are appended to ``created`` (e.g. to wait for versioning). ``tags``
    are the bucket's own (e.g. ``backup=true`` for the AWS Backup selection). Without
    ``with_policy`` the caller writes the policy (TLS-only included), e.g. one naming a
    resource made after the bucket.
    """
    child = pulumi.ResourceOptions(parent=parent, provider=provider)
    bucket = aws.s3.Bucket(
        name,
        bucket=bucket_name,
        force_destroy=not protect,
        tags=dict(tags) if tags else None,
        opts=pulumi.ResourceOptions(parent=parent, provider=provider, protect=protect),
    )
    aws.s3.BucketPublicAccessBlock(
        name,
        bucket=bucket.id,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
        opts=child,
    )
    aws.s3.BucketOwnershipControls(
        name,
        bucket=bucket.id,
        rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
        opts=child,
    )
    _encryption(name, bucket, kms_key_arn, child)
    children: list[pulumi.Resource] = []
    if versioning:
        children.append(
            aws.s3.BucketVersioning(
                name,
                bucket=bucket.id,
                versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(
                    status="Enabled"
                ),
                opts=child,
            )
        )
    if lifecycle is not None:
        aws.s3.BucketLifecycleConfiguration(
            name, bucket=bucket.id, rules=[lifecycle_rule(lifecycle)], opts=child
        )

    def document(arn: str) -> str:
        extra = list(policy_statements(arn)) if policy_statements else []
        return policy_document(tls_only_statement(arn), *extra)

    if with_policy:
        children.append(
            aws.s3.BucketPolicy(
                name, bucket=bucket.id, policy=bucket.arn.apply(document), opts=child
            )
        )
    if created is not None:
        created.extend(children)
    return bucket


REPLICATION_RULE = "to-dr-region"
"""The replication rule's id (a dimension of its CloudWatch metrics)."""


def replication_failed_alarm(
    name: str,
    *,
    alarm_name: str,
    source: pulumi.Input[str],
    replica: pulumi.Input[str],
    topic_arn: pulumi.Input[str],
    opts: pulumi.ResourceOptions,
) -> aws.cloudwatch.MetricAlarm:
    """An object of ``source`` (bucket name) failed to replicate to ``replica``: S3 does not
    retry it, so the DR copy silently lacks it until someone re-replicates (S3 Batch
    Replication)."""
    return aws.cloudwatch.MetricAlarm(
        name,
        name=alarm_name,
        alarm_description="objects failed to replicate to the DR region (not retried by S3)",
        namespace="AWS/S3",
        metric_name="OperationsFailedReplication",
        dimensions={
            "SourceBucket": source,
            "DestinationBucket": replica,
            "RuleId": REPLICATION_RULE,
        },
        statistic="Sum",
        period=300,
        evaluation_periods=1,
        comparison_operator="GreaterThanThreshold",
        threshold=0,
        treat_missing_data="notBreaching",
        alarm_actions=[topic_arn],
        ok_actions=[topic_arn],
        opts=opts,
    )


def replicate(
    name: str,
    *,
    role_name: str,
    description: str,
    source: tuple[aws.s3.Bucket, aws.kms.Key],
    replica: tuple[aws.s3.Bucket, aws.kms.Key],
    storage_class: str,
    delete_markers: bool,
    parent: pulumi.Resource,
    versioned: Sequence[pulumi.Resource],
) -> aws.s3.BucketReplicationConfig:
    """Replicate every SSE-KMS object of ``source`` (bucket, key) to ``replica`` (bucket, key;
    usually in the DR region) through a role of its own that reads only the source's
    versions and writes only the replica. Objects already in ``source`` are not copied (S3
    Batch Replication does that, once). ``delete_markers``: deletes replicate too (older
    versions stay on both sides for the lifecycle's noncurrent days). ``versioned``: the
    versioning of both buckets, which S3 requires before the configuration."""
    (bucket, key), (replica_bucket, replica_key) = source, replica
    child = pulumi.ResourceOptions(parent=parent)
    role = aws.iam.Role(
        role_name,
        description=description,
        assume_role_policy=service_trust_policy("s3.amazonaws.com"),
        opts=child,
    )
    grant = aws.iam.RolePolicy(
        role_name,
        role=role.id,
        policy=pulumi.Output.all(bucket.arn, replica_bucket.arn, key.arn, replica_key.arn).apply(
            lambda v: replication_policy(v[0], v[1], v[2], v[3])
        ),
        opts=child,
    )
    return aws.s3.BucketReplicationConfig(
        name,
        bucket=bucket.id,
        role=role.arn,
        rules=[
            aws.s3.BucketReplicationConfigRuleArgs(
                id=REPLICATION_RULE,
                status="Enabled",
                filter=aws.s3.BucketReplicationConfigRuleFilterArgs(prefix=""),
                delete_marker_replication=aws.s3.BucketReplicationConfigRuleDeleteMarkerReplicationArgs(
                    status="Enabled" if delete_markers else "Disabled"
                ),
                source_selection_criteria=aws.s3.BucketReplicationConfigRuleSourceSelectionCriteriaArgs(
                    sse_kms_encrypted_objects=aws.s3.BucketReplicationConfigRuleSourceSelectionCriteriaSseKmsEncryptedObjectsArgs(
                        status="Enabled"
                    )
                ),
                destination=aws.s3.BucketReplicationConfigRuleDestinationArgs(
                    bucket=replica_bucket.arn,
                    storage_class=storage_class,
                    encryption_configuration=aws.s3.BucketReplicationConfigRuleDestinationEncryptionConfigurationArgs(
                        replica_kms_key_id=replica_key.arn
                    ),
                    # CloudWatch replication metrics (OperationsFailedReplication, latency,
                    # bytes pending): a failing replication raises an alarm, not a stale DR copy
                    metrics=aws.s3.BucketReplicationConfigRuleDestinationMetricsArgs(
                        status="Enabled",
                        event_threshold=aws.s3.BucketReplicationConfigRuleDestinationMetricsEventThresholdArgs(
                            minutes=15
                        ),
                    ),
                ),
            )
        ],
        # S3 does not retry an object that failed for want of the role's policy
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[*versioned, grant]),
    )


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
