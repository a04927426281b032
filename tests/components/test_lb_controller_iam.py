"""The AWS Load Balancer Controller's role, held against the calls the controller makes and
against the upstream reference policy of the pinned version."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from components import versions
from components.cluster_addons import LoadBalancerScope, load_balancer_controller_statements
from tests.iam_sim import Call, actions, allows
from tools.offline.harness import PlanResult

UPSTREAM = Path(__file__).resolve().parents[1] / "fixtures" / "upstream"
SCOPE = LoadBalancerScope(
    cluster="production-eks",
    region="us-east-1",
    account="123456789012",
    vpc_id="vpc-0abc",
    pod_security_group_id="sg-cluster",
    load_balancer_prefix="production",
)
STATEMENTS = load_balancer_controller_statements(SCOPE)
EC2 = "arn:aws:ec2:us-east-1:123456789012"
ELB = "arn:aws:elasticloadbalancing:us-east-1:123456789012"
OWN_LB = f"{ELB}:loadbalancer/app/production-api/50dc6c495c0c9188"
OTHER_LB = f"{ELB}:loadbalancer/app/staging-api/6d0ecf831eec9f09"
OWN_TAG = {"aws:ResourceTag/elbv2.k8s.aws/cluster": "production-eks"}
NEW_TAG = {"aws:RequestTag/elbv2.k8s.aws/cluster": "production-eks"}


def _upstream_policy() -> dict:
    chart = versions.HELM_CHARTS["aws-load-balancer-controller"]
    app = _app_version("aws-load-balancer-controller", chart.version)
    path = UPSTREAM / "iam" / f"aws-load-balancer-controller-{app}" / "iam_policy.json"
    return json.loads(path.read_text())


def _app_version(chart: str, version: str) -> str:
    import yaml

    meta = yaml.safe_load((UPSTREAM / "charts" / f"{chart}-{version}" / "Chart.yaml").read_text())
    return str(meta["appVersion"])


def test_every_action_of_the_upstream_reference_policy_is_granted() -> None:
    missing = actions(_upstream_policy()["Statement"]) - actions(STATEMENTS)
    assert not missing, f"upstream actions not granted: {sorted(missing)}"


def test_upstream_writes_on_any_resource_are_each_narrowed_on_purpose() -> None:
    """Every upstream write on ``*`` without a condition is granted here only on named
    resources (this list is reviewed at each bump: a new one fails until it is placed)."""
    narrowed = {
        "ec2:AuthorizeSecurityGroupIngress": "the pods' security group by id, or owned groups",
        "ec2:RevokeSecurityGroupIngress": "the pods' security group by id, or owned groups",
        "ec2:CreateSecurityGroup": "only with this cluster's tag, in this VPC",
        "elasticloadbalancing:CreateListener": "on this environment's load balancers",
        "elasticloadbalancing:DeleteListener": "on this environment's load balancers",
        "elasticloadbalancing:CreateRule": "on this environment's listeners",
        "elasticloadbalancing:DeleteRule": "on this environment's listeners",
        "elasticloadbalancing:SetWebAcl": "on this environment's load balancers",
        "elasticloadbalancing:ModifyListener": "on this environment's listeners",
        "elasticloadbalancing:AddListenerCertificates": "on this environment's listeners",
        "elasticloadbalancing:RemoveListenerCertificates": "on this environment's listeners",
        "elasticloadbalancing:ModifyRule": "on this environment's rules",
        "elasticloadbalancing:SetRulePriorities": "on this environment's rules",
        "waf-regional:AssociateWebACL": "this account's web ACLs and own load balancers",
        "waf-regional:DisassociateWebACL": "this account's web ACLs and own load balancers",
        "wafv2:AssociateWebACL": "this account's web ACLs and own load balancers",
        "wafv2:DisassociateWebACL": "this account's web ACLs and own load balancers",
        "shield:CreateProtection": "this account's protections",
        "shield:DeleteProtection": "this account's protections",
    }
    reads = ("Describe", "Get", "List")
    upstream_open_writes = {
        a
        for s in _upstream_policy()["Statement"]
        if s["Resource"] == "*" and "Condition" not in s
        for a in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])
        if not a.split(":")[1].startswith(reads)
    }
    assert upstream_open_writes == set(narrowed)
    for statement in STATEMENTS:
        writes = [a for a in actions([statement]) if not a.split(":")[1].startswith(reads)]
        if writes and statement["Sid"] != "ServiceLinkedRole":
            assert statement["Resource"] != "*", statement["Sid"]


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        # the ALB -> pod rule lands on the (untagged) cluster security group
        (Call("ec2:AuthorizeSecurityGroupIngress", [f"{EC2}:security-group/sg-cluster"]), True),
        (Call("ec2:RevokeSecurityGroupIngress", [f"{EC2}:security-group/sg-cluster"]), True),
        (Call("ec2:AuthorizeSecurityGroupIngress", [f"{EC2}:security-group/sg-database"]), False),
        (
            Call("ec2:AuthorizeSecurityGroupIngress", [f"{EC2}:security-group/sg-alb"], OWN_TAG),
            True,
        ),
        (
            Call(
                "ec2:CreateSecurityGroup",
                [f"{EC2}:security-group/sg-new", f"{EC2}:vpc/vpc-0abc"],
                NEW_TAG,
            ),
            True,
        ),
        (
            Call(
                "ec2:CreateSecurityGroup", [f"{EC2}:security-group/sg-new", f"{EC2}:vpc/vpc-0abc"]
            ),
            False,
        ),
        (
            Call(
                "ec2:CreateTags",
                [f"{EC2}:security-group/sg-new"],
                {**NEW_TAG, "ec2:CreateAction": "CreateSecurityGroup"},
            ),
            True,
        ),
        (Call("ec2:DeleteSecurityGroup", [f"{EC2}:security-group/sg-alb"], OWN_TAG), True),
        (
            Call(
                "ec2:DeleteSecurityGroup",
                [f"{EC2}:security-group/sg-alb"],
                {"aws:ResourceTag/elbv2.k8s.aws/cluster": "staging-eks"},
            ),
            False,
        ),
        (Call("elasticloadbalancing:CreateLoadBalancer", [OWN_LB], NEW_TAG), True),
        (Call("elasticloadbalancing:CreateLoadBalancer", [OWN_LB]), False),
        (
            Call(
                "elasticloadbalancing:AddTags",
                [OWN_LB],
                {**NEW_TAG, "elasticloadbalancing:CreateAction": "CreateLoadBalancer"},
            ),
            True,
        ),
        (Call("elasticloadbalancing:DeleteLoadBalancer", [OWN_LB], OWN_TAG), True),
        (
            Call(
                "elasticloadbalancing:DeleteLoadBalancer",
                [OTHER_LB],
                {"aws:ResourceTag/elbv2.k8s.aws/cluster": "staging-eks"},
            ),
            False,
        ),
        (
            Call(
                "elasticloadbalancing:RegisterTargets",
                [f"{ELB}:targetgroup/k8s-apps-api/73e2d6"],
                OWN_TAG,
            ),
            True,
        ),
        (
            Call(
                "elasticloadbalancing:CreateListener",
                [OWN_LB, f"{ELB}:listener/app/production-api/50dc6c495c0c9188/f2f7dc8efc522ab2"],
            ),
            True,
        ),
        (Call("elasticloadbalancing:CreateListener", [OTHER_LB]), False),
        (
            Call(
                "elasticloadbalancing:CreateRule",
                [f"{ELB}:listener/app/production-api/50dc6c495c0c9188/f2f7dc8efc522ab2"],
            ),
            True,
        ),
        # a web ACL never carries the controller's tag: association must not depend on it
        (
            Call(
                "wafv2:AssociateWebACL",
                ["arn:aws:wafv2:us-east-1:123456789012:regional/webacl/edge/a1b2", OWN_LB],
            ),
            True,
        ),
        (Call("elasticloadbalancing:SetWebAcl", [OWN_LB]), True),
        (
            Call(
                "wafv2:AssociateWebACL",
                ["arn:aws:wafv2:us-east-1:123456789012:regional/webacl/edge/a1b2", OTHER_LB],
            ),
            False,
        ),
    ],
)
def test_controller_calls(call: Call, expected: bool) -> None:
    assert allows(STATEMENTS, call) is expected


def test_the_program_passes_the_cluster_security_group(plan: PlanResult) -> None:
    (cluster,) = plan.graph.of_type("eks:index:Cluster")
    role = next(
        p for p in plan.graph.of_type("aws:iam/rolePolicy:RolePolicy")
        if "aws-load-balancer-controller" in p.name
    )  # fmt: skip
    statements = json.loads(role.inputs["policy"])["Statement"]
    sid = {s["Sid"]: s for s in statements}["OpenPodSecurityGroupToLoadBalancers"]
    assert sid["Resource"].endswith(f":security-group/{cluster.outputs['clusterSecurityGroupId']}")
    for ingress in plan.graph.of_type("kubernetes:networking.k8s.io/v1:Ingress"):
        name = ingress.inputs["metadata"]["annotations"][
            "alb.ingress.kubernetes.io/load-balancer-name"
        ]
        assert name.startswith(f"{plan.stack}-")
