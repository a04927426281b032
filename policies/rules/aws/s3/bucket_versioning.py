"""Buckets that hold backups, logs or application data are versioned."""

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import StackValidationArgs

from policies.lib import MANDATORY, known, stack_rule
from policies.rules.aws.s3.buckets import VERSIONING, buckets, companions, inline


def _status(versioning: Any) -> Any:
    return (versioning.props.get("versioningConfiguration") or {}).get("status")


def check(args: StackValidationArgs, config: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    for bucket in buckets(args):
        enabled = [
            v
            for v in companions(args, bucket, VERSIONING)
            if known(_status, v, default="Enabled") == "Enabled"
        ]
        if not enabled and inline(bucket, "versioning").get("enabled") is not True:
            yield f"bucket {bucket.name} is not versioned", bucket.urn


POLICY = stack_rule(
    "aws-s3-bucket-versioned",
    "Every S3 bucket (backups, logs, data) has versioning enabled.",
    MANDATORY,
    check,
    "add aws.s3.BucketVersioning with status Enabled (secure_bucket does)",
)
