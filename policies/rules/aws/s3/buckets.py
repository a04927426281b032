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

from policies.lib import known

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


def _bucket_name(resource: PolicyResource) -> Any:
    return resource.props.get("bucket")


def _prop(resource: PolicyResource, key: str) -> Any:
    return resource.props.get(key)


def buckets(args: StackValidationArgs) -> list[PolicyResource]:
    return [r for r in args.resources if r.resource_type in BUCKET_TYPES]


def companions(
    args: StackValidationArgs, bucket: PolicyResource, types: str | tuple[str, ...]
) -> Iterator[PolicyResource]:
    """Companions of ``bucket``: by their ``bucket`` dependency, else (a plain string) by name.
    A value not known yet in a preview never matches and never stops the rule."""
    wanted = (types,) if isinstance(types, str) else types
    name = known(_bucket_name, bucket)
    for r in args.resources:
        if r.resource_type not in wanted:
            continue
        deps = (r.property_dependencies or {}).get("bucket") or []
        if deps:
            if any(d.urn == bucket.urn for d in deps):
                yield r
        elif name and known(_bucket_name, r) == name:
            yield r


def inline(bucket: PolicyResource, key: str) -> Mapping[str, Any]:
    """An inline block of a legacy ``Bucket`` (``versioning``, ...), or ``{}``."""
    value = known(_prop, bucket, key)
    if isinstance(value, list):
        value = value[0] if value else {}
    return value if isinstance(value, Mapping) else {}
