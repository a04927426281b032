"""The program's web ACL (issue #21, WAF): the AWS managed groups and a per-IP rate rule with
the configured limit and scope-down, attached to the public ALB, logged; count mode for a
first rollout; the LB controller may attach it; bad limits refused naming the key."""

from __future__ import annotations

import fnmatch
import json
import re
from typing import Any

import pytest

from components.web_firewall import MANAGED_RULE_GROUPS, FirewallSettings, rules
from tests.conftest import run_stack_config, stack_config
from tools.offline.harness import PlanResult


def _acl(plan: PlanResult) -> Any:
    (acl,) = plan.graph.of_type("aws:wafv2/webAcl:WebAcl")
    return acl


def test_the_acl_holds_the_managed_groups_and_the_rate_rule(production: PlanResult) -> None:
    acl = _acl(production)
    assert acl.inputs["scope"] == "REGIONAL"
    by_name = {rule["name"]: rule for rule in acl.inputs["rules"]}
    for group in MANAGED_RULE_GROUPS:
        statement = by_name[group]["statement"]["managedRuleGroupStatement"]
        assert statement == {"vendorName": "AWS", "name": group}
        assert by_name[group]["overrideAction"] == {"count": {}}  # production: first rollout
    rate = by_name["rate-per-client-ip"]
    assert rate["action"] == {"count": {}}
    statement = rate["statement"]["rateBasedStatement"]
    assert (statement["limit"], statement["aggregateKeyType"]) == (2000, "IP")
    match = statement["scopeDownStatement"]["byteMatchStatement"]
    assert (match["searchString"], match["positionalConstraint"]) == ("/api/", "STARTS_WITH")
    assert len({rule["priority"] for rule in acl.inputs["rules"]}) == len(acl.inputs["rules"])


def test_block_mode_acts() -> None:
    made = rules(FirewallSettings(mode="block", rate_limit=100))
    assert [r["override_action"] for r in made[:-1]] == [{"none": {}}] * len(MANAGED_RULE_GROUPS)
    assert made[-1]["action"] == {"block": {}}
    assert "scope_down_statement" not in made[-1]["statement"]["rate_based_statement"]


def test_the_acl_is_attached_to_the_public_alb_and_logged(production: PlanResult) -> None:
    acl = _acl(production)
    (ingress,) = production.graph.of_type("kubernetes:networking.k8s.io/v1:Ingress")
    annotations = ingress.inputs["metadata"]["annotations"]
    assert annotations["alb.ingress.kubernetes.io/wafv2-acl-arn"] == acl.outputs["arn"]
    (logging,) = production.graph.of_type(
        "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration"
    )
    group = production.graph.named("production-waf-logs", "aws:cloudwatch/logGroup:LogGroup")
    assert group.inputs["name"] == "aws-waf-logs-production"  # WAF's required prefix
    assert logging.inputs["logDestinationConfigs"] == [group.outputs["arn"]]
    assert logging.inputs["resourceArn"] == acl.outputs["arn"]
    # the controller's role may associate exactly such regional ACLs
    lbc = production.graph.named(
        "production-addons-aws-load-balancer-controller", "aws:iam/rolePolicy:RolePolicy"
    )
    statements = json.loads(lbc.inputs["policy"])["Statement"]
    (associate,) = [s for s in statements if "wafv2:AssociateWebACL" in s["Action"]]
    resources = associate["Resource"]
    resources = [resources] if isinstance(resources, str) else resources
    assert any(fnmatch.fnmatch(acl.outputs["arn"], pattern) for pattern in resources)


def test_staging_has_no_firewall(staging: PlanResult) -> None:
    """Its pack config waives the rule (policies/config/staging.json; tests/policies)."""
    assert staging.graph.of_type("aws:wafv2/webAcl:WebAcl") == []


BAD = [
    ("below-the-minimum", "us-east-1", {"rateLimit": 5},
     ["platform:apps.ingress.waf.rateLimit", "greater than or equal to 10"]),
    ("a-window-waf-does-not-offer", "us-east-1", {"rateLimitWindowSeconds": 30},
     ["platform:apps.ingress.waf.rateLimitWindowSeconds", "60, 120, 300 or 600"]),
]  # fmt: skip


@pytest.mark.parametrize(("region", "waf", "fragments"), [b[1:] for b in BAD],
                         ids=[b[0] for b in BAD])  # fmt: skip
def test_bad_firewall_config(region: str, waf: dict[str, Any], fragments: list[str]) -> None:
    config = stack_config("production")
    config["aws:region"] = region
    config["platform:apps"]["ingress"]["waf"] = waf
    result = run_stack_config(config, "production")
    assert result.error is not None
    for fragment in fragments:
        assert fragment in result.error, result.error


def test_a_created_and_an_existing_acl_exclude_each_other() -> None:
    config = stack_config("production")
    config["platform:apps"]["ingress"]["wafAclArn"] = (
        "arn:aws:wafv2:us-east-1:123456789012:regional/webacl/central/abc"
    )
    result = run_stack_config(config, "production")
    assert result.error is not None
    assert "set waf (a web ACL the program makes) or wafAclArn, not both" in result.error


def test_the_description_is_one_the_waf_api_accepts() -> None:
    """The provider checks only its length; the API's pattern (botocore's model) refuses
    parentheses and a trailing ')' (the first create would fail)."""
    import botocore.session

    from components.web_firewall import acl_description

    shape = botocore.session.get_session().get_service_model("wafv2").shape_for("EntityDescription")
    pattern = re.compile(shape.metadata["pattern"])
    for env in ("staging", "production"):
        for mode in ("count", "block"):
            assert pattern.match(acl_description(env, mode))


def test_without_a_firewall_the_controller_detaches_any(staging: PlanResult) -> None:
    """An absent annotation leaves an attached ACL in place (LB controller docs): 'none'."""
    (ingress,) = staging.graph.of_type("kubernetes:networking.k8s.io/v1:Ingress")
    assert ingress.inputs["metadata"]["annotations"]["alb.ingress.kubernetes.io/wafv2-acl-arn"] == (
        "none"
    )
