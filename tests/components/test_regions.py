"""Per-region facts: the ALB access-log bucket names the principal ELB really writes as, in
every commercial region (not two)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from components.regions import (
    COMMERCIAL_REGIONS,
    ELB_LOG_DELIVERY_ACCOUNTS,
    ELB_LOG_DELIVERY_SERVICE,
    ELB_LOG_DELIVERY_SERVICE_REGIONS,
    elb_log_delivery_principal,
)
from tests.conftest import run_stack_config, stack_config

VENDORED = Path(__file__).resolve().parents[1] / "fixtures" / "upstream" / "regions"


@pytest.mark.parametrize(
    ("region", "principal"),
    [
        ("us-east-1", {"AWS": "arn:aws:iam::127311923021:root"}),
        ("eu-west-1", {"AWS": "arn:aws:iam::156460612806:root"}),
        ("ap-southeast-2", {"AWS": "arn:aws:iam::783225319266:root"}),
        ("ap-southeast-3", {"AWS": "arn:aws:iam::589379963580:root"}),
        ("eu-central-2", {"Service": ELB_LOG_DELIVERY_SERVICE}),
        ("mx-central-1", {"Service": ELB_LOG_DELIVERY_SERVICE}),
    ],
)
def test_log_delivery_principal_per_region(region: str, principal: dict[str, str]) -> None:
    assert elb_log_delivery_principal(region) == principal


def test_every_commercial_region_has_exactly_one_principal_kind() -> None:
    assert not set(ELB_LOG_DELIVERY_ACCOUNTS) & ELB_LOG_DELIVERY_SERVICE_REGIONS
    vendored = json.loads((VENDORED / "regions.json").read_text())
    assert dict(ELB_LOG_DELIVERY_ACCOUNTS) == vendored["account_principal_regions"]
    assert set(vendored["service_principal_regions"]) == ELB_LOG_DELIVERY_SERVICE_REGIONS
    assert len(COMMERCIAL_REGIONS) >= 36
    with pytest.raises(ValueError, match="no ELB log-delivery principal"):
        elb_log_delivery_principal("xx-nowhere-1")


def test_the_log_bucket_policy_follows_the_stack_region() -> None:
    config = stack_config("production")
    config["aws:region"] = "eu-west-1"
    config["platform:backups"] = {"drRegion": "eu-central-1"}
    apps = config["platform:apps"]
    arns = [a.replace("us-east-1", "eu-west-1") for a in apps["ingress"]["certificateArns"]]
    apps["ingress"] = {**apps["ingress"], "certificateArns": arns}
    config["platform:apps"] = apps
    result = run_stack_config(config, "production")
    assert result.error is None, result.error
    policies = [
        json.loads(p.inputs["policy"])
        for p in result.graph.of_type("aws:s3/bucketPolicy:BucketPolicy")
    ]
    delivery = [
        s for p in policies for s in p["Statement"] if s.get("Sid") == "AlbAccessLogDelivery"
    ]
    assert delivery
    assert delivery[0]["Principal"] == {"AWS": "arn:aws:iam::156460612806:root"}
