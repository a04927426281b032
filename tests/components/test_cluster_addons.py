"""ClusterAddons under mocks: pinned releases, scoped roles, safe destroy order."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components import versions
from tests.conftest import run_stack_config, stack_config
from tools.offline.harness import PlanResult

RELEASE = "kubernetes:helm.sh/v3:Release"


def _releases(plan: PlanResult) -> dict[str, dict]:
    return {r.inputs["name"]: r for r in plan.graph.of_type(RELEASE)}  # type: ignore[misc]


def _role_policy(plan: PlanResult, addon: str) -> dict:
    policy = plan.graph.named(f"{plan.stack}-addons-{addon}", "aws:iam/rolePolicy:RolePolicy")
    return json.loads(policy.inputs["policy"])


def test_every_addon_release_is_pinned(plan: PlanResult) -> None:
    releases = _releases(plan)
    expected = {
        "metrics-server",
        "aws-load-balancer-controller",
        "cert-manager",
        "external-secrets",
        "cluster-autoscaler",
    }
    assert expected <= set(releases)
    for name in expected:
        chart = versions.HELM_CHARTS[name]
        inputs = releases[name].inputs
        assert inputs["chart"] == chart.chart
        assert inputs["version"] == chart.version
        assert inputs["repositoryOpts"] == {"repo": chart.repository}
        assert inputs["atomic"] is True


def test_controllers_are_highly_available_in_production(
    staging: PlanResult, production: PlanResult
) -> None:
    # each chart's own keys (checked against the vendored values.yaml in test_upstream_charts)
    replica_key = {"metrics-server": "replicas"}
    for name in ("metrics-server", "aws-load-balancer-controller", "cert-manager",
                 "external-secrets"):  # fmt: skip
        key = replica_key.get(name, "replicaCount")
        values = _releases(production)[name].inputs["values"]
        assert values[key] == 2
        assert values["podDisruptionBudget"] in (
            {"enabled": True},  # the chart's default budget: minAvailable 1
            {"enabled": True, "maxUnavailable": 1},
            {"maxUnavailable": 1},
        )
        assert _releases(staging)[name].inputs["values"][key] == 1


def test_pdb_values_follow_each_charts_convention(production: PlanResult) -> None:
    # metrics-server, cert-manager, external-secrets gate the PDB on `enabled`; the LB
    # controller pastes the map into the PDB spec, where `enabled` is an invalid field.
    releases = _releases(production)
    for name in ("metrics-server", "cert-manager", "external-secrets"):
        assert releases[name].inputs["values"]["podDisruptionBudget"]["enabled"] is True
    lbc = releases["aws-load-balancer-controller"].inputs["values"]["podDisruptionBudget"]
    assert lbc == {"maxUnavailable": 1}


def test_external_secrets_elects_a_leader_when_replicated(
    staging: PlanResult, production: PlanResult
) -> None:
    prod = _releases(production)["external-secrets"].inputs["values"]
    assert prod["replicaCount"] == 2
    assert prod["leaderElect"] is True
    assert prod["certController"]["extraArgs"] == {"enable-leader-election": True}
    stg = _releases(staging)["external-secrets"].inputs["values"]
    assert stg["leaderElect"] is False


def test_cluster_autoscaler_image_matches_the_kubernetes_minor(plan: PlanResult) -> None:
    minor = (
        stack_config(plan.stack)
        .get("platform:cluster", {})
        .get("kubernetesVersion", versions.KUBERNETES_VERSION)
    )
    tag = _releases(plan)["cluster-autoscaler"].inputs["values"]["image"]["tag"]
    assert tag.startswith(f"v{minor}."), (tag, minor)


def test_autoscaler_balances_the_per_zone_groups(plan: PlanResult) -> None:
    args = _releases(plan)["cluster-autoscaler"].inputs["values"]["extraArgs"]
    assert args["balance-similar-node-groups"] is True
    ignored = {v for k, v in args.items() if k.startswith("balancing-ignore-label_")}
    assert {
        "eks.amazonaws.com/sourceLaunchTemplateVersion",
        "eks.amazonaws.com/nodegroup-image",
    } <= ignored


@pytest.mark.parametrize("minor", versions.SUPPORTED_KUBERNETES_VERSIONS)
def test_every_supported_minor_has_a_matching_autoscaler(minor: str) -> None:
    assert versions.cluster_autoscaler_image_tag(minor).startswith(f"v{minor}.")


def _stores(plan: PlanResult) -> dict[str, Any]:
    return {
        s.inputs["metadata"]["name"]: s
        for s in plan.graph.of_type("kubernetes:external-secrets.io/v1:ClusterSecretStore")
    }


def test_secret_store_serves_only_the_consuming_namespaces(plan: PlanResult) -> None:
    stores = _stores(plan)
    assert set(stores) == {"aws-secrets-manager", "aws-secrets-manager-db-admin"}
    shared = stores["aws-secrets-manager"].inputs["spec"]
    assert shared["conditions"] == [{"namespaces": ["apps", "backups", "monitoring"]}]
    master = stores["aws-secrets-manager-db-admin"].inputs["spec"]
    assert master["conditions"] == [{"namespaces": ["db-admin"]}]
    by_store: dict[str, set[str]] = {}
    for e in plan.graph.of_type("kubernetes:external-secrets.io/v1:ExternalSecret"):
        store = e.inputs["spec"]["secretStoreRef"]["name"]
        by_store.setdefault(store, set()).add(e.inputs["metadata"]["namespace"])
    assert by_store == {
        "aws-secrets-manager": {"apps", "backups", "monitoring"},
        "aws-secrets-manager-db-admin": {"db-admin"},
    }


def test_only_the_db_admin_store_can_read_the_master_secret(plan: PlanResult) -> None:
    master = plan.outputs["databaseSecretArn"]
    readers = [
        p.name
        for p in plan.graph.of_type("aws:iam/rolePolicy:RolePolicy")
        if master in p.inputs["policy"]
    ]
    assert readers == [f"{plan.stack}-db-roles-secrets-reader"]
    role = _stores(plan)["aws-secrets-manager-db-admin"].inputs["spec"]["provider"]["aws"]["role"]
    reader = plan.graph.named(f"{plan.stack}-db-roles-secrets-reader", "aws:iam/role:Role")
    assert role == reader.outputs["arn"]
    (statement,) = json.loads(reader.inputs["assumeRolePolicy"])["Statement"]
    eso = next(
        r
        for r in plan.graph.of_type("aws:iam/role:Role")
        if r.name.endswith("-addons-external-secrets")
    )
    assert statement["Principal"] == {"AWS": eso.outputs["arn"]}


def test_cert_manager_installs_its_crds(plan: PlanResult) -> None:
    assert _releases(plan)["cert-manager"].inputs["values"]["crds"]["enabled"] is True


def test_external_secrets_reads_only_this_environments_prefix(plan: PlanResult) -> None:
    (statement,) = _role_policy(plan, "external-secrets")["Statement"]
    assert statement["Action"] == ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]
    assert statement["Resource"] == (
        f"arn:aws:secretsmanager:us-east-1:123456789012:secret:{plan.stack}/*"
    )


def test_autoscaler_writes_only_on_this_clusters_groups(plan: PlanResult) -> None:
    statements = {s["Sid"]: s for s in _role_policy(plan, "cluster-autoscaler")["Statement"]}
    scale = statements["ScaleOwnGroups"]
    assert (
        scale["Condition"]["StringEquals"][
            f"aws:ResourceTag/k8s.io/cluster-autoscaler/{plan.stack}-eks"
        ]
        == "owned"
    )
    assert all(a.startswith(("autoscaling:Describe", "ec2:Describe", "ec2:Get", "eks:Describe"))
               for a in statements["Describe"]["Action"])  # fmt: skip


def test_load_balancer_controller_writes_are_scoped_to_the_cluster(plan: PlanResult) -> None:
    policy = _role_policy(plan, "aws-load-balancer-controller")
    for statement in policy["Statement"]:
        actions = (
            statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        )
        writes = [a for a in actions if not a.split(":")[1].startswith(("Describe", "Get", "List"))]
        if writes:  # a condition, or resources named in this account and region
            assert "Condition" in statement or statement["Resource"] != "*", statement["Sid"]
    owned = next(s for s in policy["Statement"] if s["Sid"] == "ManageOwnedLoadBalancers")
    assert owned["Condition"] == {
        "StringEquals": {"aws:ResourceTag/elbv2.k8s.aws/cluster": f"{plan.stack}-eks"}
    }


def test_secret_store_depends_on_the_operator(plan: PlanResult) -> None:
    store = _stores(plan)["aws-secrets-manager"]
    assert store.inputs["metadata"]["name"] == "aws-secrets-manager"
    assert _releases(plan)["external-secrets"].urn in store.dependencies
    auth = store.inputs["spec"]["provider"]["aws"]["auth"]["jwt"]["serviceAccountRef"]
    assert auth == {"name": "external-secrets", "namespace": "external-secrets"}


def test_releases_wait_for_the_node_groups(plan: PlanResult) -> None:
    """Safe destroy order: controllers go before the nodes and the cluster."""
    groups = {g.urn for g in plan.graph.of_type("aws:eks/nodeGroup:NodeGroup")}
    (component,) = plan.graph.of_type("platform:components:ClusterAddons")
    assert groups <= set(component.dependencies)


def test_disabled_addons_are_absent() -> None:
    config = stack_config("staging")
    config["platform:addons"] = {
        "clusterAutoscaler": False,
        "certManager": False,
        "externalSecrets": False,
        "reloader": False,
    }
    result = run_stack_config(config, "staging")
    assert result.error is None, result.error
    addons = result.graph.named("staging-addons", "platform:components:ClusterAddons")
    names = {r.inputs["name"] for r in result.graph.of_type(RELEASE) if r.parent == addons.urn}
    assert names == {"metrics-server", "aws-load-balancer-controller"}
    assert not result.graph.of_type("kubernetes:external-secrets.io/v1:ClusterSecretStore")


def test_external_dns_limited_to_one_zone() -> None:
    config = stack_config("staging")
    config["platform:addons"] = {
        "externalDns": {"enabled": True, "hostedZoneId": "Z0123456789ABC", "domain": "example.com"}
    }
    result = run_stack_config(config, "staging")
    assert result.error is None, result.error
    policy = result.graph.named("staging-addons-external-dns", "aws:iam/rolePolicy:RolePolicy")
    change = json.loads(policy.inputs["policy"])["Statement"][0]
    assert change["Resource"] == "arn:aws:route53:::hostedzone/Z0123456789ABC"


def test_external_dns_needs_a_zone() -> None:
    config = stack_config("staging")
    config["platform:addons"] = {"externalDns": {"enabled": True}}
    result = run_stack_config(config, "staging")
    assert result.error is not None
    assert "platform:addons.externalDns" in result.error
    assert "needs hostedZoneId and domain" in result.error


def test_controller_made_aws_objects_depend_on_their_controllers(plan: PlanResult) -> None:
    """Safe destroy order: the Ingress (an ALB) and every ExternalSecret are deleted while the
    AWS Load Balancer Controller and external-secrets still run."""
    releases = _releases(plan)
    lbc = releases["aws-load-balancer-controller"].urn
    eso = releases["external-secrets"].urn
    (ingress,) = plan.graph.of_type("kubernetes:networking.k8s.io/v1:Ingress")
    assert lbc in ingress.dependencies
    externals = plan.graph.of_type("kubernetes:external-secrets.io/v1:ExternalSecret")
    assert len(externals) >= 3
    for external in externals:
        assert eso in external.dependencies, external.name
