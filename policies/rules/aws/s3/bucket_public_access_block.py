"""Every bucket has a public access block with all four settings on."""

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import StackValidationArgs

from policies.lib import MANDATORY, known, stack_rule
from policies.rules.aws.s3.buckets import PUBLIC_ACCESS_BLOCK, buckets, companions

SETTINGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")


def _setting(block: Any, name: str) -> Any:
    return block.props.get(name)


def check(args: StackValidationArgs, config: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    for bucket in buckets(args):
        blocks = list(companions(args, bucket, PUBLIC_ACCESS_BLOCK))
        if not blocks:
            yield f"bucket {bucket.name} has no public access block", bucket.urn
        for block in blocks:
            # a value not known yet in a preview is judged at `up`, not here
            off = [s for s in SETTINGS if known(_setting, block, s, default=True) is not True]
            if off:
                yield f"bucket {bucket.name} public access block leaves {off} off", block.urn


POLICY = stack_rule(
    "aws-s3-bucket-public-access-block",
    "Every S3 bucket blocks public ACLs and policies.",
    MANDATORY,
    check,
    "create buckets with components.buckets.secure_bucket",
)
