"""Per-region facts the program needs, vendored and dated (no AWS call at plan time).

ELB access-log delivery: regions that predate August 2022 deliver logs as a regional Elastic
Load Balancing account, which the log bucket's policy must name; newer regions use the
``logdelivery.elasticloadbalancing.amazonaws.com`` service principal. A bucket policy with the
wrong principal is accepted by S3 and then silently receives no logs.

Sources (fetched 2026-12-02): terraform-provider-aws
``internal/service/elb/service_account_data_source.go`` (``accountIDPerRegionMap``, commit
01f431114674c27cf790fafb67ac274bf8f765e1), cross-checked with amazonka's ELB account table; the
region list is botocore 1.44.8 ``partitions.json`` partition ``aws``. Vendored copies and notes:
``tests/fixtures/upstream/regions/``.
"""

from __future__ import annotations

CHECKED = "2026-12-02"

ELB_LOG_DELIVERY_SERVICE = "logdelivery.elasticloadbalancing.amazonaws.com"

ELB_LOG_DELIVERY_ACCOUNTS: dict[str, str] = {
    "af-south-1": "098369216593",
    "ap-east-1": "754344448648",
    "ap-northeast-1": "582318560864",
    "ap-northeast-2": "600734575887",
    "ap-northeast-3": "383597477331",
    "ap-south-1": "718504428378",
    "ap-southeast-1": "114774131450",
    "ap-southeast-2": "783225319266",
    "ap-southeast-3": "589379963580",
    "ca-central-1": "985666609251",
    "eu-central-1": "054676820928",
    "eu-north-1": "897822967062",
    "eu-south-1": "635631232127",
    "eu-west-1": "156460612806",
    "eu-west-2": "652711504416",
    "eu-west-3": "009996457667",
    "me-south-1": "076674570225",
    "sa-east-1": "507241528517",
    "us-east-1": "127311923021",
    "us-east-2": "033677994240",
    "us-west-1": "027434742980",
    "us-west-2": "797873946194",
}
"""Regions whose ALBs deliver access logs as this regional ELB account."""

ELB_LOG_DELIVERY_SERVICE_REGIONS: frozenset[str] = frozenset(
    {
        "ap-east-2",
        "ap-south-2",
        "ap-southeast-4",
        "ap-southeast-5",
        "ap-southeast-6",
        "ap-southeast-7",
        "ca-west-1",
        "eu-central-2",
        "eu-south-2",
        "il-central-1",
        "me-central-1",
        "me-west-1",
        "mx-central-1",
        "sa-west-1",
    }
)
"""Regions (opened since August 2022) that deliver as the log-delivery service principal."""

COMMERCIAL_REGIONS: frozenset[str] = frozenset(ELB_LOG_DELIVERY_ACCOUNTS) | (
    ELB_LOG_DELIVERY_SERVICE_REGIONS
)
"""Every region of the ``aws`` partition known on :data:`CHECKED`."""


def elb_log_delivery_principal(region: str) -> dict[str, str]:
    """The bucket-policy principal that ALB access logs of ``region`` are written as."""
    if region in ELB_LOG_DELIVERY_ACCOUNTS:
        return {"AWS": f"arn:aws:iam::{ELB_LOG_DELIVERY_ACCOUNTS[region]}:root"}
    if region in ELB_LOG_DELIVERY_SERVICE_REGIONS:
        return {"Service": ELB_LOG_DELIVERY_SERVICE}
    raise ValueError(f"no ELB log-delivery principal known for region {region!r}")
