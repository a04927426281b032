"""The price table behind the plan's cost estimate.

List prices in USD for Linux/on-demand usage in **us-east-1**, which has the same list prices as
**us-west-2** for every line below. For the other commercial regions, EC2, RDS for PostgreSQL,
ElastiCache and EBS gp3 prices come from a vendored regional feed (:data:`REGIONAL_PRICES`, 32
regions); lines it does not carry (NAT, ALB, S3, CloudWatch, KMS, Secrets Manager, Backup, Spot)
are "unknown price" lines there rather than a guess. EKS's control-plane price is the same in
every commercial region. Spot prices are typical values (median of the Spot price history for
the last 90 days): they move, so the report labels them as estimates.

Sources (checked on :data:`CHECKED`):
- EC2: https://aws.amazon.com/ec2/pricing/on-demand/ and the EC2 Spot price history;
- EKS: https://aws.amazon.com/eks/pricing/ (standard $0.10/h, extended support $0.60/h);
- VPC: https://aws.amazon.com/vpc/pricing/ (NAT gateway, public IPv4, interface endpoints);
- RDS for PostgreSQL: https://aws.amazon.com/rds/postgresql/pricing/ (Multi-AZ = 2x);
- ElastiCache: https://aws.amazon.com/elasticache/pricing/ (Valkey nodes 20 % below Redis OSS);
- ELB, CloudWatch, KMS, Secrets Manager, S3, EBS, AWS Backup, X-Ray, SNS, SES, WAF: each
  service's pricing page (X-Ray: $5.00 per million traces recorded, 100,000 free a month).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

CHECKED = "2026-11-24"
SOURCE = (
    "AWS public price lists for us-east-1/us-west-2 (tools/report/prices.py); instance and gp3 "
    "prices of other regions from the vendored regional feed (tools/report/data/)"
)
HOURS_PER_MONTH = 730
PRICED_REGIONS = frozenset({"us-east-1", "us-west-2"})

EC2_ON_DEMAND_HOURLY: dict[str, float] = {
    "t3.medium": 0.0416,
    "t3.large": 0.0832,
    "t3a.large": 0.0752,
    "m5.large": 0.096,
    "m5.xlarge": 0.192,
    "m5a.large": 0.086,
    "m6i.large": 0.096,
    "m6i.xlarge": 0.192,
    "m6a.large": 0.0864,
    "m6a.xlarge": 0.1728,
    "m7i.large": 0.1008,
    "m7i.xlarge": 0.2016,
    "m7i.2xlarge": 0.4032,
    "m7i-flex.large": 0.09576,
    "m7a.large": 0.11592,
    "m7a.xlarge": 0.23184,
    "m7g.large": 0.0816,
    "m7g.xlarge": 0.1632,
    "c6i.large": 0.085,
    "c6i.xlarge": 0.17,
    "c7i.large": 0.08925,
    "c7i.xlarge": 0.1785,
    "r6i.large": 0.126,
    "r7i.large": 0.1323,
}
"""EC2 Linux on-demand $/hour."""

EC2_SPOT_HOURLY: dict[str, float] = {
    "t3.medium": 0.0135,
    "t3.large": 0.0290,
    "t3a.large": 0.0260,
    "m5.large": 0.0370,
    "m5.xlarge": 0.0750,
    "m5a.large": 0.0350,
    "m6i.large": 0.0390,
    "m6i.xlarge": 0.0790,
    "m6a.large": 0.0370,
    "m6a.xlarge": 0.0740,
    "m7i.large": 0.0430,
    "m7i.xlarge": 0.0870,
    "m7i.2xlarge": 0.1740,
    "m7i-flex.large": 0.0400,
    "m7a.large": 0.0490,
    "m7a.xlarge": 0.0990,
    "m7g.large": 0.0340,
    "m7g.xlarge": 0.0690,
    "c6i.large": 0.0350,
    "c6i.xlarge": 0.0700,
    "c7i.large": 0.0380,
    "c7i.xlarge": 0.0760,
    "r6i.large": 0.0450,
    "r7i.large": 0.0480,
}
"""EC2 Linux Spot $/hour (typical; volatile)."""

RDS_POSTGRES_SINGLE_AZ_HOURLY: dict[str, float] = {
    "db.t4g.micro": 0.016,
    "db.t4g.small": 0.032,
    "db.t4g.medium": 0.065,
    "db.t4g.large": 0.129,
    "db.m6g.large": 0.159,
    "db.m6g.xlarge": 0.318,
    "db.m7g.large": 0.168,
    "db.m7g.xlarge": 0.337,
    "db.m7g.2xlarge": 0.674,
    "db.r6g.large": 0.225,
    "db.r7g.large": 0.239,
    "db.r7g.xlarge": 0.478,
    "db.m7i.large": 0.178,
    "db.r7i.large": 0.250,
}
"""RDS for PostgreSQL single-AZ $/hour; a Multi-AZ (one standby) deployment costs twice."""

ELASTICACHE_VALKEY_HOURLY: dict[str, float] = {
    "cache.t4g.micro": 0.0128,
    "cache.t4g.small": 0.0256,
    "cache.t4g.medium": 0.052,
    "cache.m6g.large": 0.1192,
    "cache.m7g.large": 0.1264,
    "cache.m7g.xlarge": 0.252,
    "cache.r6g.large": 0.1648,
    "cache.r7g.large": 0.1752,
    "cache.r7g.xlarge": 0.3496,
}
"""ElastiCache for Valkey node $/hour."""

EKS_CONTROL_PLANE_HOURLY = {"STANDARD": 0.10, "EXTENDED": 0.60}
NAT_GATEWAY_HOURLY = 0.045
NAT_GATEWAY_PER_GIB = 0.045
PUBLIC_IPV4_HOURLY = 0.005
INTERFACE_ENDPOINT_HOURLY_PER_AZ = 0.01
ALB_HOURLY = 0.0225
ALB_PER_LCU_HOUR = 0.008
RDS_GP3_GIB_MONTH = 0.115
"""Per GiB-month, single-AZ; Multi-AZ doubles it."""
EBS_GP3_GIB_MONTH = 0.08
CLOUDWATCH_LOGS_INGEST_PER_GIB = 0.50
CLOUDWATCH_LOGS_STORAGE_GIB_MONTH = 0.03
"""Archived log data per GiB-month (billed compressed; the estimate stores what was ingested,
an upper bound)."""
XRAY_PER_MILLION_TRACES_RECORDED = 5.00
XRAY_FREE_TRACES_PER_MONTH = 100_000
"""X-Ray's free tier: the first 100,000 traces recorded each month."""
WAF_WEB_ACL_MONTH = 5.00
WAF_RULE_MONTH = 1.00
"""Per rule (a managed rule group counts as one) and month."""
WAF_PER_MILLION_REQUESTS = 0.60
CLOUDWATCH_VENDED_LOGS_PER_GIB = 0.50
"""Vended logs (WAF, VPC flow logs) into CloudWatch Logs, first 10 TB tier."""
SNS_PER_MILLION_PUBLISHES = 0.50
SQS_PER_MILLION_REQUESTS = 0.40
"""Standard queues; FIFO $0.50. The first million requests a month are free."""
SQS_PER_MILLION_FIFO_REQUESTS = 0.50
SQS_FREE_REQUESTS_PER_MONTH = 1_000_000
SES_PER_1000_EMAILS = 0.10
CLOUDWATCH_ALARM_MONTH = 0.10
KMS_KEY_MONTH = 1.00
SECRETS_MANAGER_SECRET_MONTH = 0.40
S3_STANDARD_GIB_MONTH = 0.023
S3_STANDARD_IA_GIB_MONTH = 0.0125
S3_PUT_PER_1000 = 0.005
S3_REPLICATION_TRANSFER_PER_GIB = 0.02
"""Inter-region data transfer (S3 Cross-Region Replication, AWS Backup cross-region copies)
between US regions."""
CODEBUILD_LINUX_PER_MINUTE = {
    "BUILD_GENERAL1_SMALL": 0.005,
    "BUILD_GENERAL1_MEDIUM": 0.01,
    "BUILD_GENERAL1_LARGE": 0.02,
}
"""CodeBuild on-demand Linux EC2 compute, $/build minute (https://aws.amazon.com/codebuild/pricing/)."""
BACKUP_WARM_GIB_MONTH = 0.095
"""AWS Backup / RDS snapshot storage beyond the free allowance."""
CLOUDFRONT_OUT_PER_GIB = 0.085
"""Data transfer out to viewers, first 10 TB, North America and Europe (PriceClass_100)."""
CLOUDFRONT_HTTPS_PER_10K = 0.01
"""HTTPS requests, United States (https://aws.amazon.com/cloudfront/pricing/)."""
CLOUDFRONT_FREE_GIB = 1000
CLOUDFRONT_FREE_REQUESTS = 10_000_000
"""CloudFront's always-free tier each month: 1 TB out and 10 million requests."""
GENERAL_PURPOSE_VCPU_HOURLY = 0.1008 / 2
"""One vCPU of a general-purpose node (m7i.large on demand: 2 vCPU, 8 GiB): what the pods of
an add-on reserve when they request CPU."""
BACKUP_S3_WARM_GIB_MONTH = 0.05
"""AWS Backup for Amazon S3, warm storage per GiB-month (incremental after the first)."""

COMMITMENT_DISCOUNTS = {
    "ec2": 0.28,
    "rds": 0.31,
    "elasticache": 0.30,
}
"""1-year no-upfront discounts vs on-demand: Compute Savings Plan for EC2 nodes, reserved
instances for RDS and ElastiCache (typical published rates for the families above)."""


@dataclass(frozen=True)
class Price:
    """A looked-up price, or the reason there is none."""

    hourly: float | None
    note: str = ""


REGIONAL_PRICES = Path(__file__).with_name("data") / "regional-prices.json"
"""EC2, RDS for PostgreSQL, ElastiCache (Valkey) and EBS gp3 list prices for every commercial
region the source covers (32), vendored from AWS's pricing-page feeds as committed in
yeo/ec2.shop (see tests/fixtures/upstream/prices/SOURCE.md: source, AWS publication dates)."""

_REGIONAL_KEYS = {"ec2": "ec2", "rds": "rds_postgres", "elasticache": "elasticache"}


@cache
def _regional() -> dict[str, dict[str, object]]:
    return dict(json.loads(REGIONAL_PRICES.read_text())["regions"])


def regional_source() -> str:
    data = json.loads(REGIONAL_PRICES.read_text())
    return f"{data['version']}, AWS feeds published {data['aws_publication_dates']['ec2'][0][:10]}"


def _service_of(table: dict[str, float]) -> str | None:
    if table is EC2_ON_DEMAND_HOURLY:
        return "ec2"
    if table is RDS_POSTGRES_SINGLE_AZ_HOURLY:
        return "rds"
    if table is ELASTICACHE_VALKEY_HOURLY:
        return "elasticache"
    return None


def lookup(table: dict[str, float], key: str, region: str) -> Price:
    """The price of ``key`` in ``region`` or an explanation of why it is unknown.

    us-east-1 and us-west-2 use the checked tables above; other regions use the vendored
    regional feed for instance prices (EC2, RDS, ElastiCache). Spot prices and every other
    line are known for the two checked regions only: elsewhere they are "unknown price" lines,
    never a silent zero.
    """
    if region in PRICED_REGIONS:
        return Price(table[key]) if key in table else Price(None, f"no price for {key}")
    service = _service_of(table)
    regional = _regional().get(region)
    if service is None or regional is None:
        return Price(None, f"no prices for region {region}")
    prices = regional.get(_REGIONAL_KEYS[service]) or {}
    assert isinstance(prices, dict)
    if key not in prices:
        return Price(None, f"no price for {key} in {region}")
    return Price(float(prices[key]))


def ebs_gp3_gib_month(region: str) -> float | None:
    """EBS gp3 $/GiB-month in ``region`` (``None`` when unknown)."""
    if region in PRICED_REGIONS:
        return EBS_GP3_GIB_MONTH
    value = (_regional().get(region) or {}).get("ebs_gp3_gb_month")
    return float(value) if isinstance(value, int | float) else None
