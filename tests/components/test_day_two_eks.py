"""Day two on EKS: changes judged against what runs (components/live.py)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import run_stack_config, stack_config
from tools.offline.harness import PlanResult

NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"


def _live(version: str, desired: dict[str, int] | None = None) -> dict[str, Any]:
    groups = {
        f"{group}-{'2026120108' * 2}123456": {"desiredSize": size, "minSize": 0, "maxSize": 10}
        for group, size in (desired or {}).items()
    }
    return {"clusters": {"staging-eks": {"version": version, "nodeGroups": groups}}}


def _staging(**cluster: Any) -> dict[str, Any]:
    config = stack_config("staging")
    config["platform:cluster"] = {**config["platform:cluster"], **cluster}
    return config


@pytest.mark.parametrize(
    ("live", "wanted", "message"),
    [
        (
            "1.34",
            "1.36",
            "1.34 -> 1.36 skips a minor; EKS upgrades one minor at a time: deploy 1.35",
        ),
        ("1.36", "1.35", "1.35 is older than the running control plane (1.36)"),
    ],
)
def test_kubernetes_steps_eks_refuses_are_config_errors(
    live: str, wanted: str, message: str
) -> None:
    result = run_stack_config(_staging(kubernetesVersion=wanted), "staging", live=_live(live))
    assert result.error is not None
    assert "platform:cluster.kubernetesVersion" in result.error
    assert message in result.error
    assert not result.graph.of_type("eks:index:Cluster")


@pytest.mark.parametrize(("live", "wanted"), [(None, "1.36"), ("1.35", "1.36"), ("1.35", "1.35")])
def test_one_minor_or_a_first_deploy_is_accepted(live: str | None, wanted: str) -> None:
    result = run_stack_config(
        _staging(kubernetesVersion=wanted), "staging", live=_live(live) if live else None
    )
    assert result.error is None, result.error
    (cluster,) = result.graph.of_type("eks:index:Cluster")
    assert cluster.inputs["version"] == wanted
    assert {g.inputs["version"] for g in result.graph.of_type(NODE_GROUP)} == {wanted}


def _desired(plan: PlanResult) -> dict[str, int]:
    return {
        g.name.removeprefix("staging-eks-"): g.inputs["scalingConfig"]["desiredSize"]
        for g in plan.graph.of_type(NODE_GROUP)
    }


def test_live_desired_size_is_kept_and_only_moved_into_new_bounds() -> None:
    """The autoscaler owns the size: the program sends the live size (so nothing scales in),
    lifted to a raised minSize (EKS refuses min > desired) and cut to a lowered maxSize."""
    live = _live("1.35", {"general-az1": 4, "general-az2": 1, "general-az3": 1})
    groups = stack_config("staging")["platform:cluster"]["nodeGroups"]
    kept = run_stack_config(_staging(), "staging", live=live)
    assert _desired(kept) == {"general-az1": 2, "general-az2": 1, "general-az3": 1}
    raised = {**groups["general"], "minSize": 6, "desiredSize": 6, "maxSize": 9}
    # a group whose name only starts like another's is not mistaken for it
    live["clusters"]["staging-eks"]["nodeGroups"]["general-az1-large-" + "1" * 26] = {
        "desiredSize": 9,
        "minSize": 0,
        "maxSize": 10,
    }
    lifted = run_stack_config(_staging(nodeGroups={"general": raised}), "staging", live=live)
    # per zone: min 2, max 3 -> live 4 is cut to 3, live 1 lifted to 2
    assert _desired(lifted) == {"general-az1": 3, "general-az2": 2, "general-az3": 2}
    for group in lifted.graph.of_type(NODE_GROUP):
        assert group.options.ignore_changes == ()


def test_first_deploy_uses_the_configured_desired_size(staging: PlanResult) -> None:
    assert sum(_desired(staging).values()) == 2


def test_addons_follow_the_kubernetes_minor() -> None:
    """A minor bump moves kube-proxy (and CoreDNS where its version changes) with the control
    plane, exactly as the EKS user guide lists them per minor."""
    from components import versions

    for minor in versions.SUPPORTED_KUBERNETES_VERSIONS:
        plan = run_stack_config(_staging(kubernetesVersion=minor), "staging")
        addons = {
            a.inputs["addonName"]: a.inputs["addonVersion"]
            for a in plan.graph.of_type("aws:eks/addon:Addon")
        }
        assert addons == {
            name: pin.version for name, pin in versions.EKS_ADDON_VERSIONS[minor].items()
        }
        assert addons["kube-proxy"].startswith(f"v{minor}.")


def _waits_for(plan: PlanResult, urn: str) -> set[str]:
    """Every URN ``urn`` waits for, directly or not (dependencies, parents and providers)."""
    by_urn = plan.graph.by_urn()
    seen: set[str] = set()
    todo = [urn]
    while todo:
        resource = by_urn[todo.pop()]
        provider = (resource.provider or "").rsplit("::", 1)[0]  # "<urn>::<id>"
        for dep in [*resource.dependencies, resource.parent or "", provider]:
            if dep in by_urn and dep not in seen:
                seen.add(dep)
                todo.append(dep)
    return seen


def test_an_upgrade_runs_in_eks_order(staging: PlanResult) -> None:
    """control plane -> kube-proxy/vpc-cni -> node groups -> CoreDNS/EBS -> Kubernetes provider
    -> charts that follow the minor (the autoscaler): the engine cannot reorder a bump."""
    g = staging.graph
    (plane,) = [c.urn for c in g.of_type("eks:index:Cluster")]
    proxy = g.named("staging-eks-kube-proxy", "aws:eks/addon:Addon").urn
    coredns = g.named("staging-eks-coredns", "aws:eks/addon:Addon").urn
    autoscaler = g.named("staging-addons-cluster-autoscaler", "kubernetes:helm.sh/v3:Release").urn
    assert plane in _waits_for(staging, proxy)
    for group in g.of_type(NODE_GROUP):
        assert proxy in _waits_for(staging, group.urn)
        assert group.urn in _waits_for(staging, coredns)
    assert coredns in _waits_for(staging, autoscaler)


def test_chart_crds_move_with_the_chart(staging: PlanResult) -> None:
    """Helm installs crds/ once: the LB controller's CRDs are applied by the program from the
    files vendored for the pinned chart (the chart skips its own), kept on delete; the
    kube-prometheus-stack CRDs are applied by the chart's pre-upgrade hook Job."""
    import yaml

    from components import versions
    from components.cluster_addons import CRDS

    chart = versions.HELM_CHARTS["aws-load-balancer-controller"]
    vendored = {
        doc["metadata"]["name"]
        for path in (CRDS / f"aws-load-balancer-controller-{chart.version}").glob("*.yaml")
        for doc in yaml.safe_load_all(path.read_text())
        if doc
    }
    crds = staging.graph.of_type("kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition")
    assert {c.inputs["metadata"]["name"] for c in crds} == vendored
    assert "targetgroupbindings.elbv2.k8s.aws" in vendored
    release = staging.graph.named(
        "staging-addons-aws-load-balancer-controller", "kubernetes:helm.sh/v3:Release"
    )
    assert release.inputs["skipCrds"] is True
    (provider,) = [
        p for p in staging.graph.of_type("pulumi:providers:kubernetes")
        if p.name == "staging-addons-crds"
    ]  # fmt: skip
    assert provider.inputs["upsertExistingObjects"] in (True, "true")  # adopts Helm's CRDs
    main = staging.graph.named("staging-eks-k8s", "pulumi:providers:kubernetes")
    assert main.urn in provider.dependencies  # excluded with the AWS-only deploy phase
    for crd in crds:
        assert crd.options.retain_on_delete
        assert crd.urn in release.dependencies
        assert crd.provider.rsplit("::", 1)[0] == provider.urn
        assert crd.inputs["metadata"]["annotations"]["pulumi.com/patchForce"] == "true"
    kps = staging.graph.named(
        "staging-monitoring-kube-prometheus-stack", "kubernetes:helm.sh/v3:Release"
    )
    job = kps.inputs["values"]["crds"]["upgradeJob"]
    assert job["enabled"] is True
    assert job["image"]["busybox"]["tag"] != "latest"


def test_raising_prometheus_storage_expands_the_running_claims() -> None:
    """The operator recreates its StatefulSet over the old claims; the program grows each
    existing claim smaller than the new size (and only those), on an expandable class."""
    from components.monitoring_stack import prometheus_claims

    config = stack_config("staging")
    config["platform:monitoring"] = {**config["platform:monitoring"], "prometheusStorageGib": 60}
    (claim,) = prometheus_claims(1)
    assert claim == "prometheus-kps-prometheus-db-prometheus-kps-prometheus-0"
    grown = run_stack_config(config, "staging", live={"claims": {claim: 30}})
    (patch,) = grown.graph.of_type("kubernetes:core/v1:PersistentVolumeClaimPatch")
    assert patch.inputs["metadata"]["name"] == claim
    assert patch.inputs["metadata"]["namespace"] == "monitoring"
    assert patch.inputs["spec"]["resources"]["requests"]["storage"] == "60Gi"
    (storage_class,) = grown.graph.of_type("kubernetes:storage.k8s.io/v1:StorageClass")
    assert storage_class.inputs["allowVolumeExpansion"] is True
    tags = set(storage_class.inputs["parameters"].values())
    assert "environment=staging" in tags  # the lookup finds this environment's volumes only
    assert patch.options.retain_on_delete
    # first deploy (no claim yet): nothing to patch
    first = run_stack_config(config, "staging")
    assert not first.graph.of_type("kubernetes:core/v1:PersistentVolumeClaimPatch")
    # after the growth the patch stays (never below the live size: no shrink, no relinquish)
    for live_gib, request in ((60, "60Gi"), (80, "80Gi")):
        kept = run_stack_config(config, "staging", live={"claims": {claim: live_gib}})
        (patch,) = kept.graph.of_type("kubernetes:core/v1:PersistentVolumeClaimPatch")
        assert patch.inputs["spec"]["resources"]["requests"]["storage"] == request


@pytest.mark.parametrize(
    ("change", "live", "key"),
    [
        ({"platform:cluster": {"serviceCidr": "10.100.0.0/16"}},
         {"clusters": {"staging-eks": {"version": "1.35", "serviceCidr": "172.20.0.0/16"}}},
         "platform:cluster.serviceCidr: 172.20.0.0/16 -> 10.100.0.0/16 replaces the EKS cluster"),
        ({"platform:database": {"databaseName": "shop"}},
         {"databases": {"staging-postgres": {"dbName": "app"}}},
         "platform:database.databaseName: app -> shop replaces the database instance"),
    ],
)  # fmt: skip
def test_replacing_a_running_cluster_or_database_needs_acceptance(
    change: dict[str, Any], live: dict[str, Any], key: str
) -> None:
    config = stack_config("staging")
    for section, values in change.items():
        config[section] = {**config[section], **values}
    refused = run_stack_config(config, "staging", live=live)
    assert refused.error is not None
    assert key in refused.error
    assert "platform:acceptReplacement" in refused.error
    kind = "eks:index:Cluster" if "cluster" in key else "aws:rds/instance:Instance"
    assert not refused.graph.of_type(kind)  # stopped before the resource was touched
    what = "cluster" if "cluster" in key else "database"
    accepted = run_stack_config(
        {**config, "platform:acceptReplacement": [what]}, "staging", live=live
    )
    assert accepted.error is None, accepted.error
    # a first deploy has nothing to replace
    assert run_stack_config(config, "staging").error is None
