"""Workload IAM: each service account's role reaches only its own S3 prefix; the
external-secrets grant names exactly the data secrets."""

from __future__ import annotations

import json

from tools.offline.harness import PlanResult


def test_api_role_is_limited_to_its_prefix(plan: PlanResult) -> None:
    bucket = plan.graph.named(f"{plan.stack}-apps-data", "aws:s3/bucket:Bucket")
    arn = bucket.outputs["arn"]
    policy = plan.graph.named(f"{plan.stack}-app-api-role", "aws:iam/rolePolicy:RolePolicy")
    statements = {s["Sid"]: s for s in json.loads(policy.inputs["policy"])["Statement"]}
    assert statements["OwnPrefixObjects"]["Resource"] == f"{arn}/api/*"
    assert set(statements["OwnPrefixObjects"]["Action"]) == {
        "s3:GetObject",
        "s3:PutObject",
        "s3:DeleteObject",
    }
    assert statements["ListOwnPrefix"]["Condition"] == {"StringLike": {"s3:prefix": ["api/*"]}}


def test_beat_has_no_aws_permissions(plan: PlanResult) -> None:
    names = {p.name for p in plan.graph.of_type("aws:iam/rolePolicy:RolePolicy")}
    assert f"{plan.stack}-app-beat-role" not in names


def test_external_secrets_grant_names_the_data_secrets(plan: PlanResult) -> None:
    grant = plan.graph.named(f"{plan.stack}-external-secrets-data", "aws:iam/rolePolicy:RolePolicy")
    statements = {s["Sid"]: s for s in json.loads(grant.inputs["policy"])["Statement"]}
    # the shared store's role never reads the master secret (db-admin has its own)
    readable = set(statements["ReadDataSecrets"]["Resource"]) - {plan.outputs["cacheAuthSecretArn"]}
    # besides the cache's auth token: the alert receivers the stack routes to (and the SMTP
    # password the program made where alerts are mailed), nothing else
    prefix = f"arn:aws:secretsmanager:us-east-1:123456789012:secret:{plan.stack}"
    assert {arn.rsplit("-", 1)[0] for arn in readable} == (
        {f"{prefix}/alerting/slack-webhook-url"} if plan.stack == "staging"
        else {f"{prefix}/alerting/slack-webhook-url", f"{prefix}/alerting/pagerduty-routing-key",
              f"{prefix}/generated/alertmanager-smtp-password"}
    )  # fmt: skip
    assert statements["DecryptViaSecretsManager"]["Condition"] == {
        "StringEquals": {"kms:ViaService": "secretsmanager.us-east-1.amazonaws.com"}
    }


def test_buckets_are_hardened(plan: PlanResult) -> None:
    buckets = plan.graph.of_type("aws:s3/bucket:Bucket")
    assert buckets
    for kind in (
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        "aws:s3/bucketPolicy:BucketPolicy",
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
    ):
        assert len(plan.graph.of_type(kind)) == len(buckets), kind
    for policy in plan.graph.of_type("aws:s3/bucketPolicy:BucketPolicy"):
        deny = json.loads(policy.inputs["policy"])["Statement"][0]
        assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    for block in plan.graph.of_type("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"):
        assert all(
            block.inputs[k]
            for k in (
                "blockPublicAcls",
                "blockPublicPolicy",
                "ignorePublicAcls",
                "restrictPublicBuckets",
            )
        )
    protected = plan.stack == "production"
    for bucket in buckets:
        assert bucket.options.protect is protected
        assert bucket.inputs["forceDestroy"] is (not protected)
