"""Deploy-time model: critical path of hand-built graphs and false serialisation."""

from __future__ import annotations

from tests.tools.report_graphs import graph, res
from tools.report.timing import (
    CREATE_SECONDS,
    DEFAULT_CUSTOM_SECONDS,
    MULTI_AZ_RDS_SECONDS,
    analyse,
    dependency_map,
    longest_chain_through,
)

VPC = res("aws:ec2/vpc:Vpc", "vpc")
SUBNET = res("aws:ec2/subnet:Subnet", "subnet", deps=(VPC.urn,))
NAT = res("aws:ec2/natGateway:NatGateway", "nat", deps=(SUBNET.urn,))
EKS = res("eks:index:Cluster", "eks", deps=(SUBNET.urn,), custom=False)
NODES = res("aws:eks/nodeGroup:NodeGroup", "nodes", deps=(EKS.urn, NAT.urn))
HELM = res("kubernetes:helm.sh/v3:Release", "lbc", deps=(NODES.urn,))
DB = res("aws:rds/instance:Instance", "db", {"multiAz": False}, deps=(SUBNET.urn,))
MULTI_AZ_DB = res("aws:rds/instance:Instance", "mdb", {"multiAz": True}, deps=(SUBNET.urn,))


def test_critical_path_is_the_longest_weighted_chain() -> None:
    result = analyse(graph(VPC, SUBNET, NAT, EKS, NODES, HELM, DB))
    names = [step.name for step in result.critical_path]
    assert names == ["vpc", "subnet", "eks", "nodes", "lbc"]
    expected = (
        2 * DEFAULT_CUSTOM_SECONDS
        + CREATE_SECONDS["eks:index:Cluster"]
        + CREATE_SECONDS["aws:eks/nodeGroup:NodeGroup"]
        + CREATE_SECONDS["kubernetes:helm.sh/v3:Release"]
    )
    assert result.total_seconds == expected
    assert result.critical_path[-1].finishes_at == expected
    assert result.false_serialisations == ()


def test_multi_az_database_can_be_the_critical_path() -> None:
    app = res("kubernetes:core/v1:ConfigMap", "cfg", deps=(MULTI_AZ_DB.urn,))
    result = analyse(graph(VPC, SUBNET, MULTI_AZ_DB, app))
    assert [s.name for s in result.critical_path] == ["vpc", "subnet", "mdb", "cfg"]
    assert result.total_seconds == 3 * DEFAULT_CUSTOM_SECONDS + MULTI_AZ_RDS_SECONDS


def test_database_waiting_for_the_cluster_is_flagged() -> None:
    sg_rule = res("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "r", deps=(EKS.urn,))
    db = res("aws:rds/instance:Instance", "db", deps=(sg_rule.urn,))
    result = analyse(graph(VPC, SUBNET, EKS, sg_rule, db))
    (flag,) = result.false_serialisations
    assert (flag.waiting, flag.waits_for) == ("db", "eks")
    assert flag.chain == ("db", "r", "eks")
    assert flag.added_seconds == CREATE_SECONDS["eks:index:Cluster"]


def test_node_group_waiting_for_the_cluster_is_not_false() -> None:
    assert analyse(graph(VPC, SUBNET, NAT, EKS, NODES)).false_serialisations == ()


def test_dependency_on_a_component_waits_for_its_children() -> None:
    comp = res("platform:components:Data", "data", custom=False)
    child = res("aws:rds/instance:Instance", "db", parent=comp.urn)
    app = res("kubernetes:core/v1:ConfigMap", "cfg", deps=(comp.urn,))
    assert dependency_map(graph(comp, child, app))[app.urn] == (child.urn,)


def test_children_inherit_their_components_dependencies() -> None:
    comp = res("platform:components:Apps", "apps", deps=(HELM.urn,), custom=False)
    child = res("kubernetes:apps/v1:Deployment", "api", parent=comp.urn)
    assert HELM.urn in dependency_map(graph(HELM, comp, child))[child.urn]


def test_longest_chain_without_the_data_layer() -> None:
    cluster_chain = analyse(graph(VPC, SUBNET, NAT, EKS, NODES, HELM)).total_seconds
    g = graph(VPC, SUBNET, NAT, EKS, NODES, HELM, MULTI_AZ_DB)
    assert longest_chain_through(g, ["database", "cache"]) == cluster_chain
    assert analyse(g).total_seconds == 2 * DEFAULT_CUSTOM_SECONDS + MULTI_AZ_RDS_SECONDS


def test_kubernetes_objects_wait_for_their_provider_and_what_it_waits_for() -> None:
    """The k8s provider depends on the coredns and EBS CSI add-ons (after the nodes): every
    Kubernetes object, though it names none of them, waits for all of it."""
    coredns = res("aws:eks/addon:Addon", "coredns", deps=(NODES.urn,))
    provider = res("pulumi:providers:kubernetes", "k8s", deps=(coredns.urn,))
    namespace = res("kubernetes:core/v1:Namespace", "apps", provider=f"{provider.urn}::id-1")
    result = analyse(graph(VPC, SUBNET, NAT, EKS, NODES, coredns, provider, namespace))
    names = [step.name for step in result.critical_path]
    assert names[-3:] == ["nodes", "coredns", "apps"]
    assert provider.urn in dependency_map(graph(coredns, provider, namespace))[namespace.urn]
