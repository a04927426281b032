"""Buckets are encrypted at rest with a key the account controls.

S3 encrypts every new object with SSE-S3 by default (since January 2023), so a bucket is never
unencrypted; what this rule asks is the platform's choice: an explicit default-encryption
configuration (SSE-KMS, or SSE-S3 where the service requires it, e.g. ALB access logs)."""

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import StackValidationArgs

from policies.lib import MANDATORY, stack_rule
from policies.rules.aws.s3.buckets import ENCRYPTION, buckets, companions, inline


def check(args: StackValidationArgs, config: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    for bucket in buckets(args):
        explicit = list(companions(args, bucket, ENCRYPTION)) or inline(
            bucket, "serverSideEncryptionConfiguration"
        )
        if not explicit:
            yield (
                f"bucket {bucket.name} declares no default encryption (S3 applies SSE-S3 with "
                "an AWS-owned key; the platform wants its choice explicit)",
                bucket.urn,
            )


POLICY = stack_rule(
    "aws-s3-bucket-encrypted",
    "Every S3 bucket has default server-side encryption (SSE-KMS or SSE-S3).",
    MANDATORY,
    check,
    "create buckets with components.buckets.secure_bucket",
)
