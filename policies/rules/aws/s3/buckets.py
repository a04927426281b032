"""Shared logic of the S3 stack rules: a bucket's settings, wherever they are written.

A setting may be a companion resource (current or ``V2`` type), matched through its ``bucket``
property dependency (known in a preview even when the bucket's name is not) or, when the
companion names the bucket by a plain string, through that name; or an inline argument of a
legacy ``aws:s3/bucket:Bucket``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import PolicyResource, StackValidationArgs

BUCKET_TYPES = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")

VERSIONING = (
    "aws:s3/bucketVersioning:BucketVersioning",
    "aws:s3/bucketVersioningV2:BucketVersioningV2",
)
ENCRYPTION = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
)
PUBLIC_ACCESS_BLOCK = ("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",)


def buckets(args: StackValidationArgs) -> list[PolicyResource]:
    return [r for r in args.resources if r.resource_type in BUCKET_TYPES]


def companions(
    args: StackValidationArgs, bucket: PolicyResource, types: str | tuple[str, ...]
) -> Iterator[PolicyResource]:
    wanted = (types,) if isinstance(types, str) else types
    name = bucket.props.get("bucket")
    for r in args.resources:
        if r.resource_type not in wanted:
            continue
        deps = (r.property_dependencies or {}).get("bucket") or []
        if any(d.urn == bucket.urn for d in deps) or (name and r.props.get("bucket") == name):
            yield r


def inline(bucket: PolicyResource, key: str) -> Mapping[str, Any]:
    """An inline block of a legacy ``Bucket`` (``versioning``, ...), or ``{}``."""
    value = bucket.props.get(key)
    if isinstance(value, list):
        value = value[0] if value else {}
    return value if isinstance(value, Mapping) else {}
