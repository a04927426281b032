"""The in-VPC deploy runner: production's private API is reachable by CI, and only by it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

from components.deploy_runner import runs_on_label
from tests.iam_sim import Call, allows
from tools.offline.harness import PlanResult

DEPLOY = Path(__file__).resolve().parents[2] / ".github" / "workflows" / "deploy.yml"
PROJECT = "aws:codebuild/project:Project"


def _runner_policy(plan: PlanResult) -> list[dict]:
    policy = plan.graph.named("production-deploy-runner-policy", "aws:iam/rolePolicy:RolePolicy")
    return json.loads(policy.inputs["policy"])["Statement"]


def test_production_has_a_runner_in_its_private_subnets(production: PlanResult) -> None:
    (project,) = production.graph.of_type(PROJECT)
    inputs = project.inputs
    assert inputs["name"] == "production-deploy-runner"
    assert inputs["source"]["type"] == "GITHUB"
    assert inputs["source"]["location"] == "https://github.com/acme/platform.git"
    assert inputs["source"]["auth"]["type"] == "CODECONNECTIONS"
    assert sorted(inputs["vpcConfig"]["subnets"]) == sorted(production.outputs["privateSubnetIds"])
    (webhook,) = production.graph.of_type("aws:codebuild/webhook:Webhook")
    (group,) = webhook.inputs["filterGroups"]
    assert {(f["type"], f["pattern"]) for f in group["filters"]} == {
        ("EVENT", "WORKFLOW_JOB_QUEUED"),
        ("WORKFLOW_NAME", "^(deploy|drift)$"),
    }


def test_each_stack_has_its_own_runner(staging: PlanResult) -> None:
    (project,) = staging.graph.of_type(PROJECT)
    assert project.inputs["name"] == "staging-deploy-runner"


def test_runner_is_closed_and_admitted_to_the_api_only(production: PlanResult) -> None:
    group = production.graph.named(
        "production-deploy-runner-sg", "aws:ec2/securityGroup:SecurityGroup"
    )
    assert not group.inputs.get("ingress")
    (egress,) = group.inputs["egress"]
    assert (egress["protocol"], egress["fromPort"], egress["toPort"]) == ("tcp", 443, 443)
    rules = production.graph.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    (api,) = [r for r in rules if r.inputs.get("referencedSecurityGroupId") == group.outputs["id"]]
    (cluster,) = production.graph.of_type("eks:index:Cluster")
    assert api.inputs["securityGroupId"] == cluster.outputs["clusterSecurityGroupId"]
    assert (api.inputs["fromPort"], api.inputs["toPort"]) == (443, 443)
    provider = production.graph.named("production-eks-k8s", "pulumi:providers:kubernetes")
    assert api.urn in provider.dependencies  # no Kubernetes call before the runner gets in


def test_runner_role_writes_only_its_logs_and_its_vpc(production: PlanResult) -> None:
    statements = _runner_policy(production)
    for statement in statements:
        actions = (
            statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        )
        if any(not a.split(":")[1].startswith(("Describe", "Get")) for a in actions):
            assert statement["Resource"] != "*", statement["Sid"]
    vpc = production.graph.of_type("aws:ec2/vpc:Vpc")[0].outputs["id"]
    ec2 = "arn:aws:ec2:us-east-1:123456789012"
    own = Call("ec2:CreateNetworkInterface", [f"{ec2}:network-interface/eni-1", f"{ec2}:subnet/s"],
               {"ec2:Vpc": f"{ec2}:vpc/{vpc}"})  # fmt: skip
    other = Call("ec2:CreateNetworkInterface", [f"{ec2}:network-interface/eni-1"],
                 {"ec2:Vpc": f"{ec2}:vpc/vpc-other"})  # fmt: skip
    assert allows(statements, own)
    assert not allows(statements, other)


def test_the_deploy_workflow_runs_kubernetes_from_the_runner(production: PlanResult) -> None:
    jobs = yaml.safe_load(DEPLOY.read_text())["jobs"]
    (project,) = production.graph.of_type(PROJECT)
    assert jobs["production"]["runs-on"] == runs_on_label(project.inputs["name"])
    # phase one, on a hosted runner: everything except the Kubernetes provider and dependents
    provider = production.graph.named("production-eks-k8s", "pulumi:providers:kubernetes")
    assert jobs["production-aws"]["env"]["K8S_PROVIDER_URN"] == provider.urn
    (up,) = [s for s in jobs["production-aws"]["steps"] if "pulumi up" in s.get("run", "")]
    assert re.search(r'--exclude "\$K8S_PROVIDER_URN" --exclude-dependents', up["run"])
    # and that exclusion really covers every Kubernetes object (none reaches the API early):
    # each uses the main provider or one that depends on it (a dependent, excluded too)
    k8s_providers = {provider.urn} | {
        p.urn for p in production.graph.of_type("pulumi:providers:kubernetes")
        if provider.urn in p.dependencies
    }  # fmt: skip
    assert len(k8s_providers) == 2  # the main one and the CRD provider
    for resource in production.graph:
        used = (resource.provider or "").rsplit("::", 1)[0]
        if resource.type.startswith("kubernetes:"):
            assert used in k8s_providers, resource.name
        elif resource.custom and not resource.type.startswith("pulumi:providers:"):
            assert used not in k8s_providers, resource.name
