"""Shared logic of the S3 stack rules: a bucket's companion resources.

Companions (public access block, encryption, versioning) are matched through their ``bucket``
property dependency, which is known in a preview even when the bucket's name is not.
"""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import PolicyResource, StackValidationArgs

BUCKET_TYPES = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")


def buckets(args: StackValidationArgs) -> list[PolicyResource]:
    return [r for r in args.resources if r.resource_type in BUCKET_TYPES]


def companions(
    args: StackValidationArgs, bucket: PolicyResource, type_: str
) -> Iterator[PolicyResource]:
    for r in args.resources:
        if r.resource_type != type_:
            continue
        deps = r.property_dependencies.get("bucket") or []
        if any(d.urn == bucket.urn for d in deps):
            yield r
