"""Certificates issued by the program (issue #21, certificates): every configured host is
covered and validated in the hosted zone; a given ARN still wins."""

from __future__ import annotations

import pytest

from tests.conftest import EXAMPLES, planned, run_stack_config, stack_config
from tools.offline.harness import PlanResult

SHOP = next(p for p in EXAMPLES if p.name == "Pulumi.shop.yaml")


@pytest.fixture(scope="module")
def shop() -> PlanResult:
    return planned(SHOP)


def test_every_host_is_covered_and_validated_in_the_zone(shop: PlanResult) -> None:
    certificate = shop.graph.named(
        "shop-certificates-shop.example.com", "aws:acm/certificate:Certificate"
    )
    names = {
        certificate.inputs["domainName"],
        *certificate.inputs.get("subjectAlternativeNames", []),
    }
    assert names == {"shop.example.com"}
    assert certificate.inputs["validationMethod"] == "DNS"
    record = shop.graph.named("shop-certificates-shop.example.com", "aws:route53/record:Record")
    assert record.inputs["zoneId"] == "Z0123456789SHOPZONE"
    option = certificate.outputs["domainValidationOptions"][0]
    assert (record.inputs["name"], record.inputs["type"]) == (
        option["resourceRecordName"], option["resourceRecordType"]
    )  # fmt: skip
    validation = shop.graph.named(
        "shop-certificates-shop.example.com",
        "aws:acm/certificateValidation:CertificateValidation",
    )
    assert validation.inputs["validationRecordFqdns"] == [record.outputs["fqdn"]]
    (ingress,) = shop.graph.of_type("kubernetes:networking.k8s.io/v1:Ingress")
    annotation = ingress.inputs["metadata"]["annotations"][
        "alb.ingress.kubernetes.io/certificate-arn"
    ]
    assert annotation == validation.outputs["certificateArn"]  # the validated one


def test_a_given_arn_wins(production: PlanResult) -> None:
    assert production.graph.of_type("aws:acm/certificate:Certificate") == []


def test_adding_a_host_moves_nothing(production: PlanResult) -> None:
    """Resources are named by host: a new host adds its own certificate and record, and no
    other host's is replaced or deleted (a deleted record would break a renewal)."""
    config = stack_config("production")
    ingress = config["platform:apps"]["ingress"]
    ingress.pop("certificateArns")
    ingress["hostedZone"] = {"id": "Z0123456789ABCDEFGHIJ", "domain": "example.com"}
    before = run_stack_config(config, "production")
    ingress["routes"].append({"hosts": ["a.example.com"], "workload": "api"})
    after = run_stack_config(config, "production")
    assert before.error is None, before.error
    assert after.error is None, after.error

    def urns(plan: PlanResult) -> set[str]:
        kinds = ("aws:acm/certificate:Certificate", "aws:route53/record:Record")
        return {r.urn for kind in kinds for r in plan.graph.of_type(kind)}

    assert urns(before) < urns(after)
    assert len(urns(after) - urns(before)) == 2


@pytest.mark.parametrize(
    ("ingress", "fragment"),
    [
        ({"certificateArns": []}, "needs certificateArns or a hostedZone"),
        ({"certificateArns": [], "hostedZone": {"id": "Z0123456789ABCDEFGHIJ",
                                                "domain": "other.org"}},
         "hostedZone other.org does not hold api.example.com"),
    ],
)  # fmt: skip
def test_a_certificate_source_is_required(ingress: dict[str, object], fragment: str) -> None:
    config = stack_config("production")
    config["platform:apps"]["ingress"].update(ingress)
    result = run_stack_config(config, "production")
    assert result.error is not None
    assert fragment in result.error, result.error
