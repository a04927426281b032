"""Every bucket has default encryption."""

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import StackValidationArgs

from policies.lib import MANDATORY, stack_rule
from policies.rules.aws.s3.buckets import buckets, companions

TYPE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"


def check(args: StackValidationArgs, config: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    for bucket in buckets(args):
        if not list(companions(args, bucket, TYPE)):
            yield f"bucket {bucket.name} has no default encryption", bucket.urn


POLICY = stack_rule(
    "aws-s3-bucket-encrypted",
    "Every S3 bucket has default server-side encryption (SSE-KMS or SSE-S3).",
    MANDATORY,
    check,
    "create buckets with components.buckets.secure_bucket",
)
