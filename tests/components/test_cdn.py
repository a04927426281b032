"""The CDN (issue #21): CloudFront in front of the ALB in the shop example; the ALB cannot be
reached around it, the API is never cached, static paths are, TLS 1.2+ with a us-east-1
certificate for every host, a CLOUDFRONT web ACL, access logs; bad config named."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
import yaml

from components.cdn import (
    ALL_VIEWER,
    CACHING_DISABLED,
    CACHING_OPTIMIZED,
    ORIGIN_FACING_PREFIX_LIST,
    ORIGIN_HEADER,
)
from environment.config import ConfigError, parse_stack_config
from tests.conftest import EXAMPLES, planned, run_stack_config
from tools.offline.harness import PlanResult
from tools.report.report import build

SHOP = next(p for p in EXAMPLES if p.name == "Pulumi.shop.yaml")
DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
PREFIX = "alb.ingress.kubernetes.io/"


@pytest.fixture(scope="module")
def shop() -> PlanResult:
    return planned(SHOP)


def _distribution(plan: PlanResult) -> Any:
    (distribution,) = plan.graph.of_type(DISTRIBUTION)
    return distribution


def _us_east_1(plan: PlanResult) -> str:
    providers = plan.graph.of_type("pulumi:providers:aws")
    (provider,) = [p for p in providers if p.name == "aws-us-east-1"]
    assert provider.inputs["region"] == "us-east-1"
    return provider.urn


def test_the_alb_cannot_be_reached_around_the_cdn(shop: PlanResult) -> None:
    (ingress,) = shop.graph.of_type("kubernetes:networking.k8s.io/v1:Ingress")
    annotations = ingress.inputs["metadata"]["annotations"]
    # only CloudFront's origin-facing addresses reach the listener, and only on HTTPS
    (lookup,) = [a for t, a in shop.calls if t.endswith("getManagedPrefixList")]
    assert lookup["name"] == ORIGIN_FACING_PREFIX_LIST
    assert annotations[PREFIX + "security-group-prefix-lists"].startswith("pl-")
    assert annotations[PREFIX + "listen-ports"] == '[{"HTTPS": 443}]'
    assert PREFIX + "inbound-cidrs" not in annotations  # would re-open 0.0.0.0/0
    # and every rule requires this distribution's secret header (others get the 404)
    origin = next(o for o in _distribution(shop).inputs["origins"] if o["originId"] == "alb")
    (header,) = origin["customHeaders"]
    assert header["name"] == ORIGIN_HEADER
    assert len(header["value"]) >= 32
    services = {
        p["backend"]["service"]["name"]
        for rule in ingress.inputs["spec"]["rules"]
        for p in rule["http"]["paths"]
    }
    assert services == {"web", "api"}
    for service in services:
        (condition,) = json.loads(annotations[f"{PREFIX}conditions.{service}"])
        assert condition == {
            "field": "http-header",
            "httpHeaderConfig": {"httpHeaderName": ORIGIN_HEADER, "values": [header["value"]]},
        }
    # the origin is the ALB the Ingress made, over HTTPS with the viewer's Host (its cert)
    assert origin["domainName"].startswith("shop-public-")
    assert origin["customOriginConfig"]["originProtocolPolicy"] == "https-only"
    assert origin["customOriginConfig"]["originSslProtocols"] == ["TLSv1.2"]


def test_api_paths_are_not_cached_and_static_paths_are(shop: PlanResult) -> None:
    inputs = _distribution(shop).inputs
    default = inputs["defaultCacheBehavior"]
    assert default["targetOriginId"] == "alb"
    assert default["cachePolicyId"] == CACHING_DISABLED  # /api/ and every page
    assert default["originRequestPolicyId"] == ALL_VIEWER
    assert "POST" in default["allowedMethods"]
    (static,) = inputs["orderedCacheBehaviors"]
    assert static["pathPattern"] == "/static/*"
    assert static["targetOriginId"] == "static"
    assert static["cachePolicyId"] == CACHING_OPTIMIZED
    assert not any(p.startswith("/api") for p in [static["pathPattern"]])
    # the static bucket is private: only this distribution reads it (OAC, SourceArn)
    bucket = shop.graph.named("shop-cdn-static", "aws:s3/bucket:Bucket")
    origin = next(o for o in inputs["origins"] if o["originId"] == "static")
    assert origin["domainName"] == bucket.outputs["bucketRegionalDomainName"]
    oac = shop.graph.named(
        "shop-cdn-static", "aws:cloudfront/originAccessControl:OriginAccessControl"
    )
    assert origin["originAccessControlId"] == oac.outputs["id"]
    assert oac.inputs["signingBehavior"] == "always"
    policy = json.loads(shop.graph.named("shop-cdn-static", "aws:s3/bucketPolicy:BucketPolicy")
                        .inputs["policy"])  # fmt: skip
    read = next(s for s in policy["Statement"] if s["Sid"] == "CloudFrontOriginAccessControl")
    arn = _distribution(shop).outputs["arn"]
    assert read["Condition"] == {"StringEquals": {"AWS:SourceArn": arn}}
    assert read["Action"] == "s3:GetObject"
    block = shop.graph.named(
        "shop-cdn-static", "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
    )
    assert block.inputs["restrictPublicBuckets"] is True


def test_viewers_tls_certificate_in_us_east_1_for_every_host(shop: PlanResult) -> None:
    inputs = _distribution(shop).inputs
    viewer = inputs["viewerCertificate"]
    assert viewer["minimumProtocolVersion"].startswith("TLSv1.2")
    assert viewer["sslSupportMethod"] == "sni-only"
    assert {b["viewerProtocolPolicy"] for b in [inputs["defaultCacheBehavior"],
            *inputs["orderedCacheBehaviors"]]} == {"redirect-to-https"}  # fmt: skip
    cfg = yaml.safe_load(SHOP.read_text())["config"]
    hosts = {h for r in cfg["platform:apps"]["ingress"]["routes"] for h in r["hosts"]}
    assert set(inputs["aliases"]) == hosts
    certificate = shop.graph.named("shop-cdn-certificate", "aws:acm/certificate:Certificate")
    assert certificate.provider.startswith(_us_east_1(shop))
    names = {
        certificate.inputs["domainName"],
        *certificate.inputs.get("subjectAlternativeNames", []),
    }
    assert names == hosts
    validation = shop.graph.named(
        "shop-cdn-certificate", "aws:acm/certificateValidation:CertificateValidation"
    )
    assert viewer["acmCertificateArn"] == validation.outputs["certificateArn"]
    # the ALB's certificates already put the validation records in the zone (ACM uses one
    # record per name in every region): the CDN's waits for them instead of a duplicate
    assert "validationRecordFqdns" not in validation.inputs
    alb_certs = {r.urn for r in shop.graph if r.name.startswith("shop-certificates")}
    assert alb_certs & set(validation.dependencies)
    # every host points at the distribution
    for kind in ("a", "aaaa"):
        record = shop.graph.named(f"shop-cdn-shop.example.com-{kind}", "aws:route53/record:Record")
        assert record.inputs["aliases"][0]["name"] == _distribution(shop).outputs["domainName"]


def test_cdn_web_acl_and_access_logs(shop: PlanResult) -> None:
    acl = shop.graph.named("shop-cdn-waf-acl", "aws:wafv2/webAcl:WebAcl")
    assert acl.inputs["scope"] == "CLOUDFRONT"
    assert acl.provider.startswith(_us_east_1(shop))
    assert _distribution(shop).inputs["webAclId"] == acl.outputs["arn"]
    rules = {r["name"]: r for r in acl.inputs["rules"]}
    rate = rules["rate-per-client-ip"]["statement"]["rateBasedStatement"]
    assert rate["limit"] == 1000
    scope = rate["scopeDownStatement"]["byteMatchStatement"]
    assert scope["searchString"] == "/api/"
    assert "AWSManagedRulesSQLiRuleSet" in json.dumps(acl.inputs["rules"])
    logs = shop.graph.named("shop-cdn-waf-logs", "aws:cloudwatch/logGroup:LogGroup")
    assert logs.inputs["name"] == "aws-waf-logs-shop-cdn"
    # no regional ACL on the ALB: behind CloudFront its client addresses are the edge's
    (ingress,) = shop.graph.of_type("kubernetes:networking.k8s.io/v1:Ingress")
    assert ingress.inputs["metadata"]["annotations"][PREFIX + "wafv2-acl-arn"] == "none"
    source = shop.graph.named("shop-cdn-logs", "aws:cloudwatch/logDeliverySource:LogDeliverySource")
    assert source.inputs["logType"] == "ACCESS_LOGS"
    assert source.inputs["resourceArn"] == _distribution(shop).outputs["arn"]
    assert source.provider.startswith(_us_east_1(shop))
    group = shop.graph.named("shop-cdn-logs", "aws:cloudwatch/logGroup:LogGroup")
    assert group.inputs["retentionInDays"] == 90


def test_the_cdn_is_priced(shop: PlanResult) -> None:
    lines = {line.item: line.monthly_usd for line in build(shop).cost.lines}
    assert lines["CloudFront transfer out"] == 0.0  # 500 GiB: inside the free 1 TB
    assert lines["CloudFront requests"] == round((50 - 10) * 100 * 0.01, 2)
    assert lines["CloudFront access logs"] > 0


def _shop_config() -> dict[str, Any]:
    return copy.deepcopy(yaml.safe_load(SHOP.read_text())["config"])


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        (lambda i: i.pop("hostedZone") and i.update(certificateArns=[
            "arn:aws:acm:us-east-1:123456789012:certificate/0b5c7a4e-6c1d-4b7e-9a35-2f6d8c1e4a90"]),
         "cdn needs a certificate in us-east-1"),
        (lambda i: i["cdn"].update(certificateArn=(
            "arn:aws:acm:eu-west-1:123456789012:certificate/0b5c7a4e-6c1d-4b7e-9a35-2f6d8c1e4a90")),
         "certificateArn"),
        (lambda i: i.update(waf={"mode": "count", "rateLimit": 100}), "cdn.waf"),
        (lambda i: i["cdn"].update(staticPaths=["static/*"]), "is not a CloudFront path pattern"),
    ],
    ids=["no-certificate-source", "certificate-outside-us-east-1", "regional-waf", "bad-path"],
)  # fmt: skip
def test_bad_cdn_config_is_refused_naming_the_key(change: Any, fragment: str) -> None:
    config = _shop_config()
    change(config["platform:apps"]["ingress"])
    with pytest.raises(ConfigError) as info:
        parse_stack_config(config, "shop")
    assert fragment in str(info.value)
    assert "apps.ingress" in str(info.value)


def test_putting_the_cdn_in_front_of_a_live_stack_replaces_nothing(shop: PlanResult) -> None:
    """Day two: the same stack before the CDN (with the ALB's own web ACL) and after. The
    CDN's resources are added, the regional ACL goes; nothing that exists is replaced (the
    Ingress, the ALB's certificates, the buckets keep their URNs and are updated in place)."""
    config = _shop_config()
    ingress = config["platform:apps"]["ingress"]
    ingress["waf"] = ingress.pop("cdn")["waf"]
    before = run_stack_config(config, "shop")
    assert before.error is None, before.error
    old, new = {r.urn for r in before.graph}, {r.urn for r in shop.graph}
    removed = {u.rsplit("::", 1)[-1] for u in old - new}
    assert removed == {"shop-waf", "shop-waf-acl", "shop-waf-logs", "shop-waf-logging"}
    added = {u.rsplit("::", 1)[-1] for u in new - old}
    assert added
    assert all(name.startswith("shop-cdn") or name == "aws-us-east-1" for name in added)
    # the Ingress stays (the controller changes the listeners in place)
    assert any(u.endswith("::shop-public-ingress") for u in old & new)


def test_with_given_alb_certificates_the_cdn_writes_its_own_validation_records() -> None:
    config = _shop_config()
    config["platform:apps"]["ingress"]["certificateArns"] = [
        "arn:aws:acm:us-east-1:123456789012:certificate/0b5c7a4e-6c1d-4b7e-9a35-2f6d8c1e4a90"
    ]
    plan = run_stack_config(config, "shop")
    assert plan.error is None, plan.error
    certificate = plan.graph.named("shop-cdn-certificate", "aws:acm/certificate:Certificate")
    record = plan.graph.named("shop-cdn-shop.example.com", "aws:route53/record:Record")
    option = certificate.outputs["domainValidationOptions"][0]
    assert record.inputs["name"] == option["resourceRecordName"]
    assert record.inputs["zoneId"] == "Z0123456789SHOPZONE"
    validation = plan.graph.named(
        "shop-cdn-certificate", "aws:acm/certificateValidation:CertificateValidation"
    )
    assert validation.inputs["validationRecordFqdns"] == [record.outputs["fqdn"]]


def _ingress_annotations(plan: PlanResult) -> dict[str, str]:
    (ingress,) = plan.graph.of_type("kubernetes:networking.k8s.io/v1:Ingress")
    return dict(ingress.inputs["metadata"]["annotations"])


def test_a_rotated_origin_secret_is_accepted_with_the_previous_one(shop: PlanResult) -> None:
    config = _shop_config()
    config["platform:apps"]["ingress"]["cdn"]["originSecretRotation"] = 1
    plan = run_stack_config(config, "shop")
    assert plan.error is None, plan.error

    def header(p: PlanResult) -> str:
        origin = next(o for o in _distribution(p).inputs["origins"] if o["originId"] == "alb")
        return str(origin["customHeaders"][0]["value"])

    assert plan.graph.named("shop-cdn-origin-secret-0")  # kept: the same resource as before
    (condition,) = json.loads(_ingress_annotations(plan)[PREFIX + "conditions.api"])
    current, previous = condition["httpHeaderConfig"]["values"]
    assert current == header(plan) != previous  # CloudFront sends the new one
    assert previous == header(shop)  # the ALB still takes the value CloudFront sent before


def test_the_first_rollout_on_a_live_stack_keeps_the_alb_open() -> None:
    """``lockOrigin: false``: the distribution and DNS come first; the ALB still takes
    everyone (its HTTP redirect too) until the next update locks it."""
    config = _shop_config()
    config["platform:apps"]["ingress"]["cdn"]["lockOrigin"] = False
    plan = run_stack_config(config, "shop")
    assert plan.error is None, plan.error
    annotations = _ingress_annotations(plan)
    assert PREFIX + "security-group-prefix-lists" not in annotations
    assert not [k for k in annotations if k.startswith(PREFIX + "conditions.")]
    assert annotations[PREFIX + "ssl-redirect"] == "443"
    assert plan.graph.of_type(DISTRIBUTION)


def test_cdn_and_external_dns_are_refused_together() -> None:
    config = _shop_config()
    config["platform:addons"] = {
        "externalDns": {"enabled": True, "hostedZoneId": "Z0123456789SHOPZONE",
                        "domain": "example.com"}
    }  # fmt: skip
    with pytest.raises(ConfigError) as info:
        parse_stack_config(config, "shop")
    assert "apps.ingress.cdn with addons.externalDns.enabled" in str(info.value)
