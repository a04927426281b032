"""EksCluster under mocks, for both committed stacks."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from components import versions
from components.eks_cluster import (
    CONTROL_PLANE_LOG_TYPES,
    NODE_MANAGED_POLICIES,
    NodeGroupSpec,
    zone_share,
)
from tools.offline.harness import PlanResult

CLUSTER = "eks:index:Cluster"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"


def _cluster(plan: PlanResult) -> dict:
    (cluster,) = plan.graph.of_type(CLUSTER)
    return cluster.inputs


def test_version_and_standard_support(plan: PlanResult) -> None:
    inputs = _cluster(plan)
    assert inputs["version"] == versions.KUBERNETES_VERSION
    assert inputs["upgradePolicy"] == {"supportType": "STANDARD"}
    assert inputs["authenticationMode"] == "API"
    assert inputs["skipDefaultNodeGroup"] is True
    assert inputs["createOidcProvider"] is True


def test_secrets_encrypted_with_a_rotating_project_key(plan: PlanResult) -> None:
    key = plan.graph.named(f"{plan.stack}-eks-secrets", "aws:kms/key:Key")
    assert key.inputs["enableKeyRotation"] is True
    assert _cluster(plan)["encryptionConfigKeyArn"] == key.outputs["arn"]


def test_all_control_plane_logs_with_retention(plan: PlanResult) -> None:
    assert _cluster(plan)["enabledClusterLogTypes"] == list(CONTROL_PLANE_LOG_TYPES)
    log_group = plan.graph.named(
        f"{plan.stack}-eks-control-plane", "aws:cloudwatch/logGroup:LogGroup"
    )
    assert log_group.inputs["name"] == f"/aws/eks/{plan.stack}-eks/cluster"
    expected = {"staging": 30, "production": 90}[plan.stack]
    assert log_group.inputs["retentionInDays"] == expected
    (cluster,) = plan.graph.of_type(CLUSTER)
    assert log_group.urn in cluster.dependencies


def test_both_stacks_keep_the_api_private(staging: PlanResult, production: PlanResult) -> None:
    """No documentation-range allow-list: the pipeline reaches both APIs from inside the VPC
    (each stack has its own in-VPC runner, admitted on 443)."""
    for plan in (staging, production):
        cluster = _cluster(plan)
        assert cluster["endpointPrivateAccess"] is True
        assert cluster["endpointPublicAccess"] is False
        assert "publicAccessCidrs" not in cluster
        (project,) = plan.graph.of_type("aws:codebuild/project:Project")
        assert project.inputs["name"] == f"{plan.stack}-deploy-runner"


def test_ci_roles_get_access_entries_from_config(plan: PlanResult) -> None:
    """The preview role reads without Secrets, the drift role reads everything a refresh
    needs; the deploy role is the cluster creator (admin by EKS) and has no second entry."""
    entries = _cluster(plan)["accessEntries"]
    policy = "arn:aws:eks::aws:cluster-access-policy/"
    granted = {
        e["principalArn"].rsplit("/", 1)[-1]: [
            (p["policyArn"].removeprefix(policy), p["accessScope"]["type"])
            for p in e["accessPolicies"].values()
        ]
        for e in entries.values()
    }
    assert granted == {
        "platform-ci-preview": [("AmazonEKSViewPolicy", "cluster")],
        "platform-ci-drift": [("AmazonEKSAdminViewPolicy", "cluster")],
    }
    assert set(entries) == set(granted)  # keyed by role name: reordering replaces nothing


def test_node_groups_per_stack(staging: PlanResult, production: PlanResult) -> None:
    for plan, capacity, total in (
        (staging, "SPOT", {"minSize": 2, "desiredSize": 2, "maxSize": 5}),
        (production, "ON_DEMAND", {"minSize": 3, "desiredSize": 3, "maxSize": 12}),
    ):
        groups = plan.graph.of_type(NODE_GROUP)
        # one managed node group per zone (cluster-autoscaler: one group per AZ), sized so that
        # the zones add up to the configured totals
        assert sorted(g.name for g in groups) == [
            f"{plan.stack}-eks-general-az{i}" for i in (1, 2, 3)
        ]
        for key, value in total.items():
            assert sum(g.inputs["scalingConfig"][key] for g in groups) == value
        assert all(g.inputs["scalingConfig"]["maxSize"] >= 1 for g in groups)
        subnets = [g.inputs["subnetIds"] for g in groups]
        assert all(len(s) == 1 for s in subnets)
        assert sorted(s[0] for s in subnets) == sorted(plan.outputs["privateSubnetIds"])
        for group in groups:
            assert group.inputs["capacityType"] == capacity
            assert group.inputs["labels"]["platform/node-group"] == "general"
        # one launch template shared by the zones: same sourceLaunchTemplate* node labels, so
        # the autoscaler's balance-similar-node-groups treats the zones as one group
        (template,) = plan.graph.of_type("aws:ec2/launchTemplate:LaunchTemplate")
        assert {g.inputs["launchTemplate"]["id"] for g in groups} == {template.outputs["id"]}
    assert len(staging.graph.of_type(NODE_GROUP)[0].inputs["instanceTypes"]) >= 3


@given(
    total=st.integers(min_value=0, max_value=100),
    maximum=st.integers(min_value=1, max_value=200),
    zones=st.integers(min_value=1, max_value=6),
)
def test_zone_shares_add_up(total: int, maximum: int, zones: int) -> None:
    low = min(total, maximum)
    spec = NodeGroupSpec(instance_types=["m7i.large"], min_size=low, desired_size=low,
                         max_size=maximum, capacity_type="ON_DEMAND", disk_size_gib=50,
                         labels={}, taints=())  # fmt: skip
    shares = [zone_share(spec, i, zones) for i in range(zones)]
    assert sum(s.min_size for s in shares) == low
    assert sum(s.desired_size for s in shares) == low
    assert sum(s.max_size for s in shares) >= maximum
    for share in shares:
        assert share.min_size <= share.desired_size <= share.max_size
        assert share.max_size >= 1
    assert max(s.min_size for s in shares) - min(s.min_size for s in shares) <= 1


def test_cluster_is_protected_and_nodes_follow_its_version(
    staging: PlanResult, production: PlanResult
) -> None:
    for plan, protected in ((staging, False), (production, True)):
        (cluster,) = plan.graph.of_type(CLUSTER)
        assert cluster.options.protect is protected
        for group in plan.graph.of_type(NODE_GROUP):
            assert group.inputs["version"] == cluster.inputs["version"]


def test_vpc_cni_enforces_network_policies(plan: PlanResult) -> None:
    cni = plan.graph.named(f"{plan.stack}-eks-vpc-cni", "aws:eks/addon:Addon")
    assert json.loads(cni.inputs["configurationValues"]) == {"enableNetworkPolicy": "true"}


def test_launch_template_requires_imdsv2_and_encrypts_root_volume(plan: PlanResult) -> None:
    for template in plan.graph.of_type("aws:ec2/launchTemplate:LaunchTemplate"):
        meta = template.inputs["metadataOptions"]
        assert meta["httpTokens"] == "required"
        assert meta["httpPutResponseHopLimit"] == 2
        (disk,) = template.inputs["blockDeviceMappings"]
        assert disk["ebs"]["encrypted"] == "true"
        assert disk["ebs"]["volumeType"] == "gp3"
        kinds = {spec["resourceType"] for spec in template.inputs["tagSpecifications"]}
        assert kinds == {"instance", "volume", "network-interface"}
        for spec in template.inputs["tagSpecifications"]:
            assert spec["tags"]["cost-center"]


def test_node_groups_wait_for_cluster_and_networking_addons(plan: PlanResult) -> None:
    (cluster,) = plan.graph.of_type(CLUSTER)
    cni = plan.graph.named(f"{plan.stack}-eks-vpc-cni", "aws:eks/addon:Addon")
    for group in plan.graph.of_type(NODE_GROUP):
        assert cluster.urn in group.dependencies
        assert cni.urn in group.dependencies
        assert not group.options.ignore_changes  # the live desired size is sent instead
    coredns = plan.graph.named(f"{plan.stack}-eks-coredns", "aws:eks/addon:Addon")
    assert {g.urn for g in plan.graph.of_type(NODE_GROUP)} <= set(coredns.dependencies)


def test_addons_pinned_with_their_own_roles(plan: PlanResult) -> None:
    addons = {a.inputs["addonName"]: a for a in plan.graph.of_type("aws:eks/addon:Addon")}
    assert set(addons) == set(versions.EKS_ADDONS)
    for name, addon in addons.items():
        assert addon.inputs["addonVersion"] == versions.EKS_ADDONS[name].version
    roles = {r.name: r for r in plan.graph.of_type("aws:iam/role:Role")}
    cni_role = roles[f"{plan.stack}-eks-vpc-cni"]
    assert addons["vpc-cni"].inputs["serviceAccountRoleArn"] == cni_role.outputs["arn"]
    trust = json.loads(cni_role.inputs["assumeRolePolicy"])
    (condition,) = trust["Statement"][0]["Condition"]["StringEquals"].items() - {
        (k, v)
        for k, v in trust["Statement"][0]["Condition"]["StringEquals"].items()
        if k.endswith(":aud")
    }
    assert condition[1] == "system:serviceaccount:kube-system:aws-node"


def test_node_role_has_only_the_node_policies(plan: PlanResult) -> None:
    node_role = plan.graph.named(f"{plan.stack}-eks-node", "aws:iam/role:Role")
    attached = {
        a.inputs["policyArn"]
        for a in plan.graph.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        if a.inputs["role"] == node_role.outputs["name"]
    }
    assert attached == set(NODE_MANAGED_POLICIES)


def test_node_security_group_does_not_wait_for_the_cluster(plan: PlanResult) -> None:
    sg = plan.graph.named(f"{plan.stack}-eks-nodes", "aws:ec2/securityGroup:SecurityGroup")
    (cluster,) = plan.graph.of_type(CLUSTER)
    assert cluster.urn not in sg.dependencies
    assert not any(cluster.urn in deps for deps in sg.property_dependencies.values())


def test_default_storage_class_is_encrypted_gp3(plan: PlanResult) -> None:
    (sc,) = plan.graph.of_type("kubernetes:storage.k8s.io/v1:StorageClass")
    assert sc.inputs["provisioner"] == "ebs.csi.aws.com"
    parameters = dict(sc.inputs["parameters"])
    tags = {parameters.pop(k) for k in list(parameters) if k.startswith("tagSpecification_")}
    assert parameters == {"type": "gp3", "encrypted": "true", "fsType": "ext4"}
    # every volume carries the environment's required tags (EBS CSI tagSpecification_N)
    assert {t.split("=", 1)[0] for t in tags} >= {"project", "environment", "owner", "cost-center"}
    assert sc.inputs["allowVolumeExpansion"] is True
    annotations = sc.inputs["metadata"]["annotations"]
    assert annotations["storageclass.kubernetes.io/is-default-class"] == "true"


def test_kubeconfig_is_a_secret_output(plan: PlanResult) -> None:
    assert "kubeconfig" in plan.secret_outputs
    assert plan.outputs["clusterName"] == f"{plan.stack}-eks"


def test_deletion_protection_follows_protection(
    staging: PlanResult, production: PlanResult
) -> None:
    assert _cluster(production)["deletionProtection"] is True
    assert _cluster(staging)["deletionProtection"] is False


def test_a_different_minor_moves_nodes_pod_security_and_the_autoscaler() -> None:
    from tests.conftest import run_stack_config, stack_config

    config = stack_config("staging")
    config["platform:cluster"] = {**config["platform:cluster"], "kubernetesVersion": "1.34"}
    plan = run_stack_config(config, "staging")
    assert plan.error is None, plan.error
    assert {g.inputs["version"] for g in plan.graph.of_type(NODE_GROUP)} == {"1.34"}
    namespaces = [
        n for n in plan.graph.of_type("kubernetes:core/v1:Namespace")
        if "pod-security.kubernetes.io/enforce-version" in n.inputs["metadata"].get("labels", {})
    ]  # fmt: skip
    assert {n.inputs["metadata"]["name"] for n in namespaces} >= {"apps", "backups", "db-admin"}
    for namespace in namespaces:
        labels = namespace.inputs["metadata"]["labels"]
        assert labels["pod-security.kubernetes.io/enforce-version"] == "v1.34"
    (autoscaler,) = [
        r for r in plan.graph.of_type("kubernetes:helm.sh/v3:Release")
        if r.inputs["name"] == "cluster-autoscaler"
    ]  # fmt: skip
    assert autoscaler.inputs["values"]["image"]["tag"].startswith("v1.34.")


def test_a_kubeconfig_without_a_server_is_an_error_not_an_empty_endpoint() -> None:
    from components.eks_cluster import _endpoint_of

    assert (
        _endpoint_of('{"clusters": [{"cluster": {"server": "https://x.eks"}}]}') == "https://x.eks"
    )
    with pytest.raises(ValueError, match="names no API server"):
        _endpoint_of('{"clusters": []}')
