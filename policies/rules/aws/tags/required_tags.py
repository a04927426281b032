"""Every taggable AWS resource carries the cost-allocation tags (own or provider default)."""

from typing import Any

from policies.lib import ADVISORY, Subject, as_json, resource_rule

REQUIRED = ("project", "environment", "owner", "cost-center", "managed-by")
UNTAGGABLE_PREFIXES = (
    "aws:iam/rolePolicy", "aws:iam/rolePolicyAttachment", "aws:ec2/route:",
    "aws:ec2/routeTableAssociation",
    "aws:s3/bucketPublicAccessBlock", "aws:s3/bucketPolicy", "aws:s3/bucketVersioning",
    "aws:s3/bucketServerSideEncryptionConfiguration", "aws:s3/bucketOwnershipControls",
    "aws:s3/bucketLifecycleConfiguration", "aws:s3/bucketReplicationConfig", "aws:kms/alias",
    "aws:secretsmanager/secretVersion", "aws:backup/selection", "aws:backup/vaultLockConfiguration",
    "aws:ec2/defaultSecurityGroup", "aws:sns/topicSubscription", "aws:eks/accessPolicyAssociation",
    "aws:backup/vaultPolicy", "aws:sns/topicPolicy",
)  # fmt: skip


def _default_tags(provider_props: Any) -> dict[str, str]:
    default = as_json(provider_props.get("defaultTags")) if provider_props else {}
    return dict((default or {}).get("tags") or {})


def check(r: Subject) -> list[str]:
    if not r.type.startswith("aws:") or r.type.startswith(UNTAGGABLE_PREFIXES):
        return []
    tags = {**_default_tags(r.provider_props), **(r.props.get("tags") or {})}
    required = r.config.get("requiredTags", list(REQUIRED))
    missing = [k for k in required if not tags.get(k)]
    return [f"{r.type} {r.name} misses tags {missing}"] if missing else []


POLICY = resource_rule(
    "aws-required-tags",
    "Taggable AWS resources carry project, environment, owner, cost-center, managed-by.",
    ADVISORY,
    ("*",),
    check,
    "use the stack's AWS provider (default_tags from platform:tags) for every resource",
    config={
        "requiredTags": {"type": "array", "items": {"type": "string"}, "default": list(REQUIRED)}
    },
)
