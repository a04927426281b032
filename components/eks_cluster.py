"""EksCluster: the EKS control plane, managed node groups, core add-ons and a k8s Provider.

Built on ``pulumi_eks.Cluster`` for the control plane, its OIDC provider and kubeconfig; node
groups, launch templates and EKS managed add-ons are plain ``pulumi_aws`` resources so every
setting is visible in the plan and pinned in ``components/versions.py``.

Order of creation (and, reversed, of ``pulumi destroy``): log group and secrets key -> control
plane -> vpc-cni and kube-proxy add-ons (IRSA) -> node groups -> coredns and EBS CSI add-ons ->
gp3 StorageClass. The nodes' security group is created here from the VPC alone, so the data
layer can admit it without waiting for the cluster.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_eks as eks
import pulumi_kubernetes as k8s

from . import versions
from ._util import policy_document
from .iam_roles import OidcProvider, service_account_role
from .kms import customer_managed_key
from .live import LiveNodeGroup, desired_size
from .modes import CapacityType

CONTROL_PLANE_LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")
ACCESS_POLICY_PREFIX = "arn:aws:eks::aws:cluster-access-policy/"
ACCESS_POLICIES = {
    "cluster-admin": f"{ACCESS_POLICY_PREFIX}AmazonEKSClusterAdminPolicy",
    "admin-view": f"{ACCESS_POLICY_PREFIX}AmazonEKSAdminViewPolicy",
    "view": f"{ACCESS_POLICY_PREFIX}AmazonEKSViewPolicy",
}
NODE_MANAGED_POLICIES = (
    "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
    "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPullOnly",
)
"""Only what a node needs: join the cluster and pull images. The VPC CNI gets its own IRSA
role instead of ``AmazonEKS_CNI_Policy`` on every node."""
STORAGE_CLASS = "gp3"
VPC_CNI_CONFIGURATION: Mapping[str, object] = {"enableNetworkPolicy": "true"}
"""vpc-cni add-on configuration: enforce NetworkPolicies (the add-on's schema takes the
string ``"true"``; see tests/fixtures/upstream/addons/vpc-cni-*)."""


@dataclass(frozen=True, kw_only=True)
class NodeGroupSpec:
    """One managed node group."""

    instance_types: Sequence[str]
    capacity_type: CapacityType
    min_size: int
    desired_size: int
    max_size: int
    disk_size_gib: int
    labels: Mapping[str, str]
    taints: Sequence[Mapping[str, str]]


@dataclass(frozen=True, kw_only=True)
class EksClusterArgs:
    """Inputs; defaults are the production-safe choice."""

    vpc_id: pulumi.Input[str]
    private_subnet_ids: pulumi.Input[Sequence[str]]
    node_groups: Mapping[str, NodeGroupSpec]
    zone_subnet_ids: Sequence[pulumi.Input[str]] = ()
    """One private subnet per availability zone, in zone order. Each configured node group
    becomes one managed node group per zone (the cluster autoscaler models a new node in one
    zone per group: with a group spanning zones, zone-bound pods stay Pending). Empty: one
    group over ``private_subnet_ids``."""
    kubernetes_version: str
    control_plane_version: pulumi.Input[str] | None = None
    """``kubernetes_version`` once the caller has checked the step from the live version
    (one minor at a time, no downgrade); the control plane takes its version only through
    this input, so a refused step fails the run before anything changes. None: unchecked."""
    live_node_groups: pulumi.Input[Sequence[LiveNodeGroup]] = ()
    """The running node groups (``components.live``): their desired sizes are kept."""
    endpoint_public_access: bool
    public_access_cidrs: Sequence[str]
    access_entries: Mapping[str, str]
    """IAM role ARN -> access (a key of :data:`ACCESS_POLICIES`), cluster scope."""
    api_client_security_group_ids: Sequence[pulumi.Input[str]] = ()
    """Security groups inside the VPC admitted to the private API endpoint (443 on the cluster
    security group): the in-VPC CI runner. The Kubernetes provider waits for these rules."""
    service_cidr: str
    log_retention_days: int
    tags: Mapping[str, str]
    """Tags for instances and volumes launched by node groups (provider default tags do not
    reach them)."""
    protect: bool = True


class EksCluster(pulumi.ComponentResource):
    """A private-by-default EKS cluster with managed node groups and pinned core add-ons."""

    cluster_name: pulumi.Output[str]
    endpoint: pulumi.Output[str]
    oidc: OidcProvider
    oidc_issuer: pulumi.Output[str]
    kubeconfig: pulumi.Output[str]
    node_security_group_id: pulumi.Output[str]
    cluster_security_group_id: pulumi.Output[str]
    k8s_provider: k8s.Provider
    node_groups: list[pulumi.Resource]
    storage_class_name: str = STORAGE_CLASS

    def __init__(
        self, name: str, args: EksClusterArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("platform:components:EksCluster", name, None, opts)
        self._kubernetes_version = args.kubernetes_version
        self._control_plane(name, args)
        self._nodes(name, args)
        self._kubernetes(name, args, self._after_nodes(name))
        self.register_outputs(
            {
                "clusterName": self.cluster_name,
                "oidcIssuer": self.oidc_issuer,
                "nodeSecurityGroupId": self.node_security_group_id,
            }
        )

    def _control_plane(self, name: str, args: EksClusterArgs) -> None:
        """The encrypted, logged, protected control plane and its access entries."""
        child = pulumi.ResourceOptions(parent=self)
        cluster_name = name
        secrets_key = customer_managed_key(
            f"{name}-secrets",
            f"EKS secrets envelope encryption for {cluster_name}",
            parent=self,
            protect=args.protect,
        )
        # EKS writes to this fixed name; creating it first sets the retention (EKS would
        # create it with "never expire").
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-control-plane",
            name=f"/aws/eks/{cluster_name}/cluster",
            retention_in_days=args.log_retention_days,
            opts=child,
        )
        self.node_security_group = aws.ec2.SecurityGroup(
            f"{name}-nodes",
            vpc_id=args.vpc_id,
            description=f"EKS nodes of {cluster_name}; data stores admit this group",
            egress=[
                aws.ec2.SecurityGroupEgressArgs(
                    protocol="-1",
                    from_port=0,
                    to_port=0,
                    cidr_blocks=["0.0.0.0/0"],
                    description="nodes reach AWS APIs, registries and data stores",
                )
            ],
            tags={"Name": f"{cluster_name}-nodes"},
            opts=child,
        )
        access_entries = _access_entries(args)
        self.cluster = eks.Cluster(
            f"{name}-control-plane",
            name=cluster_name,
            version=args.control_plane_version or args.kubernetes_version,
            vpc_id=args.vpc_id,
            private_subnet_ids=args.private_subnet_ids,
            endpoint_private_access=True,
            endpoint_public_access=args.endpoint_public_access,
            public_access_cidrs=list(args.public_access_cidrs) or None,
            kubernetes_service_ip_address_range=args.service_cidr,
            authentication_mode=eks.AuthenticationMode.API,
            access_entries=access_entries or None,
            encryption_config_key_arn=secrets_key.arn,
            enabled_cluster_log_types=list(CONTROL_PLANE_LOG_TYPES),
            upgrade_policy=aws.eks.ClusterUpgradePolicyArgs(support_type="STANDARD"),
            create_oidc_provider=True,
            skip_default_node_group=True,
            skip_default_security_groups=True,
            bootstrap_self_managed_addons=False,
            use_default_vpc_cni=True,
            coredns_addon_options=eks.CoreDnsAddonOptionsArgs(enabled=False),
            kube_proxy_addon_options=eks.KubeProxyAddonOptionsArgs(enabled=False),
            deletion_protection=args.protect,
            # deleting the cluster takes every workload with it: never by accident
            opts=pulumi.ResourceOptions(parent=self, depends_on=[log_group], protect=args.protect),
        )
        # The name is fixed by config; tie it to the cluster so consumers wait for it.
        self.cluster_name = self.cluster.kubeconfig_json.apply(lambda _: cluster_name)
        self.kubeconfig = pulumi.Output.secret(self.cluster.kubeconfig_json)
        self.oidc_issuer = self.cluster.oidc_issuer.apply(
            lambda issuer: issuer if issuer.startswith("https://") else f"https://{issuer}"
        )
        self.oidc = OidcProvider(arn=self.cluster.oidc_provider_arn, issuer=self.oidc_issuer)
        self.endpoint = self.cluster.kubeconfig_json.apply(_endpoint_of)
        self.cluster_security_group_id = self.cluster.cluster_security_group_id
        self.node_security_group_id = self.node_security_group.id

    def _nodes(self, name: str, args: EksClusterArgs) -> None:
        """vpc-cni and kube-proxy, then one managed node group per configured group and
        zone."""
        child = pulumi.ResourceOptions(parent=self)
        cluster_name = name
        # Add-ons that nodes need to become Ready come first, each with its own IRSA role.
        cni_role = service_account_role(
            f"{name}-vpc-cni",
            oidc=self.oidc,
            namespace="kube-system",
            service_account="aws-node",
            managed_policy_arns=["arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy"],
            parent=self,
        )
        before_nodes = [
            # The network policy agent is off by default: without it every NetworkPolicy of
            # the platform (default-deny, per-workload allow-lists) is accepted and ignored.
            self._addon(name, "vpc-cni", cni_role.arn, configuration=VPC_CNI_CONFIGURATION),
            self._addon(name, "kube-proxy"),
        ]

        node_role = aws.iam.Role(
            f"{name}-node",
            description=f"EKS managed nodes of {cluster_name}",
            assume_role_policy=policy_document(
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "ec2.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ),
            opts=child,
        )
        attachments = [
            aws.iam.RolePolicyAttachment(
                f"{name}-node-{arn.rsplit('/', 1)[-1]}",
                role=node_role.name,
                policy_arn=arn,
                opts=child,
            )
            for arn in NODE_MANAGED_POLICIES
        ]
        zones: list[pulumi.Input[Sequence[pulumi.Input[str]]]] = [
            [subnet] for subnet in args.zone_subnet_ids
        ] or [args.private_subnet_ids]
        # One launch template per configured group, shared by its zones: nodes of the zones
        # then carry the same eks.amazonaws.com/sourceLaunchTemplate* labels, which the
        # cluster autoscaler compares when it balances similar node groups.
        templates = {
            group_name: self._launch_template(name, group_name, spec, args)
            for group_name, spec in args.node_groups.items()
        }
        self.node_groups = [
            self._node_group(
                name,
                group_name if len(zones) == 1 else f"{group_name}-az{index + 1}",
                group_name,
                zone_share(spec, index, len(zones)),
                subnets,
                templates[group_name],
                node_role,
                depends_on=[self.cluster, *before_nodes, *attachments],
                kubernetes_version=args.kubernetes_version,
                live=args.live_node_groups,
            )
            for group_name, spec in args.node_groups.items()
            for index, subnets in enumerate(zones)
        ]

    def _after_nodes(self, name: str) -> list[pulumi.Resource]:
        """The add-ons that need running nodes (CoreDNS, the EBS CSI driver)."""
        ebs_role = service_account_role(
            f"{name}-ebs-csi",
            oidc=self.oidc,
            namespace="kube-system",
            service_account="ebs-csi-controller-sa",
            managed_policy_arns=["arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy"],
            parent=self,
        )
        after_nodes: list[pulumi.Resource] = [
            self._addon(name, "coredns", depends_on=self.node_groups),
            self._addon(name, "aws-ebs-csi-driver", ebs_role.arn, depends_on=self.node_groups),
        ]

        return after_nodes

    def _kubernetes(
        self, name: str, args: EksClusterArgs, after_nodes: list[pulumi.Resource]
    ) -> None:
        """The Kubernetes provider (once the API is reachable and the core add-ons run) and
        the default StorageClass."""
        child = pulumi.ResourceOptions(parent=self)
        api_clients = [
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-api-client-{index}",
                security_group_id=self.cluster_security_group_id,
                referenced_security_group_id=group,
                ip_protocol="tcp",
                from_port=443,
                to_port=443,
                description="in-VPC CI runner -> private EKS API",
                opts=child,
            )
            for index, group in enumerate(args.api_client_security_group_ids)
        ]
        self.k8s_provider = k8s.Provider(
            f"{name}-k8s",
            kubeconfig=self.kubeconfig,
            enable_server_side_apply=True,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*after_nodes, *api_clients]),
        )
        k8s.storage.v1.StorageClass(
            f"{name}-gp3",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=STORAGE_CLASS,
                annotations={"storageclass.kubernetes.io/is-default-class": "true"},
            ),
            provisioner="ebs.csi.aws.com",
            parameters={
                "type": "gp3",
                "encrypted": "true",
                "fsType": "ext4",
                # the environment's tags on every volume (cost, and day-two lookups by tag)
                **{
                    f"tagSpecification_{i}": f"{key}={value}"
                    for i, (key, value) in enumerate(sorted(args.tags.items()), start=1)
                },
            },
            reclaim_policy="Delete",
            volume_binding_mode="WaitForFirstConsumer",
            allow_volume_expansion=True,
            opts=pulumi.ResourceOptions(parent=self, provider=self.k8s_provider),
        )

    def _addon(
        self,
        name: str,
        addon: str,
        role_arn: pulumi.Input[str] | None = None,
        depends_on: Sequence[pulumi.Resource] = (),
        configuration: Mapping[str, object] | None = None,
    ) -> aws.eks.Addon:
        return aws.eks.Addon(
            f"{name}-{addon}",
            cluster_name=name,
            addon_name=addon,
            addon_version=versions.eks_addon_version(addon, self._kubernetes_version),
            service_account_role_arn=role_arn,
            configuration_values=json.dumps(configuration, sort_keys=True)
            if configuration
            else None,
            resolve_conflicts_on_create="OVERWRITE",
            resolve_conflicts_on_update="PRESERVE",
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.cluster, *depends_on]),
        )

    def _launch_template(
        self, name: str, group: str, spec: NodeGroupSpec, args: EksClusterArgs
    ) -> aws.ec2.LaunchTemplate:
        child = pulumi.ResourceOptions(parent=self)
        instance_tags = {**args.tags, "Name": f"{name}-{group}"}
        return aws.ec2.LaunchTemplate(
            f"{name}-{group}",
            description=f"EKS node group {group} of {name}",
            update_default_version=True,
            metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(
                http_endpoint="enabled",
                http_tokens="required",
                http_put_response_hop_limit=2,
                instance_metadata_tags="disabled",
            ),
            block_device_mappings=[
                aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
                    device_name="/dev/xvda",
                    ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(
                        volume_size=spec.disk_size_gib,
                        volume_type="gp3",
                        encrypted="true",
                        delete_on_termination="true",
                    ),
                )
            ],
            vpc_security_group_ids=[
                self.cluster.cluster_security_group_id,
                self.node_security_group.id,
            ],
            tag_specifications=[
                aws.ec2.LaunchTemplateTagSpecificationArgs(resource_type=kind, tags=instance_tags)
                for kind in ("instance", "volume", "network-interface")
            ],
            opts=child,
        )

    def _node_group(
        self,
        name: str,
        group: str,
        config_group: str,
        spec: NodeGroupSpec,
        subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]],
        template: aws.ec2.LaunchTemplate,
        role: aws.iam.Role,
        depends_on: Sequence[pulumi.Resource],
        kubernetes_version: str = versions.KUBERNETES_VERSION,
        live: pulumi.Input[Sequence[LiveNodeGroup]] = (),
    ) -> aws.eks.NodeGroup:
        desired = pulumi.Output.from_input(live).apply(
            lambda groups: desired_size(
                list(groups), f"{group}-", spec.min_size, spec.max_size, spec.desired_size
            )
        )
        return aws.eks.NodeGroup(
            f"{name}-{group}",
            cluster_name=name,
            node_group_name_prefix=f"{group}-",
            node_role_arn=role.arn,
            subnet_ids=subnet_ids,
            ami_type="AL2023_x86_64_STANDARD",
            # nodes follow the control plane: a minor bump upgrades them in the same run
            # (EKS refuses the next control-plane bump while nodes lag behind)
            version=kubernetes_version,
            capacity_type=spec.capacity_type,
            instance_types=list(spec.instance_types),
            scaling_config=aws.eks.NodeGroupScalingConfigArgs(
                min_size=spec.min_size,
                desired_size=desired,
                max_size=spec.max_size,
            ),
            update_config=aws.eks.NodeGroupUpdateConfigArgs(max_unavailable_percentage=33),
            launch_template=aws.eks.NodeGroupLaunchTemplateArgs(
                id=template.id, version=template.latest_version.apply(str)
            ),
            labels={"platform/node-group": config_group, **spec.labels},
            taints=[aws.eks.NodeGroupTaintArgs(**t) for t in spec.taints] or None,
            tags={
                # cluster-autoscaler auto-discovery
                "k8s.io/cluster-autoscaler/enabled": "true",
                f"k8s.io/cluster-autoscaler/{name}": "owned",
            },
            # the autoscaler owns the size after creation: ``desired`` is the live size, moved
            # only into new min/max bounds (no ignore_changes: it would resend a stale size)
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(depends_on)),
        )


def _access_entries(args: EksClusterArgs) -> dict[str, eks.AccessEntryArgs]:
    """One EKS access entry per role, keyed by role name: reordering the config replaces
    nothing."""
    return {
        arn.rsplit("/", 1)[-1]: eks.AccessEntryArgs(
            principal_arn=arn,
            access_policies={
                access: eks.AccessPolicyAssociationArgs(
                    policy_arn=ACCESS_POLICIES[access],
                    access_scope=aws.eks.AccessPolicyAssociationAccessScopeArgs(type="cluster"),
                )
            },
        )
        for arn, access in sorted(args.access_entries.items())
    }


def _split(total: int, index: int, parts: int) -> int:
    """``total`` spread over ``parts`` as evenly as possible; the first ones take the rest."""
    return total // parts + (1 if index < total % parts else 0)


def zone_share(spec: NodeGroupSpec, index: int, zones: int) -> NodeGroupSpec:
    """The per-zone node group for zone ``index`` of a group sized in total over ``zones``:
    the sums of min, desired and max over the zones equal the configured totals, and every
    zone may grow to at least one node."""
    return dataclasses.replace(
        spec,
        min_size=_split(spec.min_size, index, zones),
        desired_size=_split(spec.desired_size, index, zones),
        max_size=max(1, _split(spec.max_size, index, zones)),
    )


def _endpoint_of(kubeconfig: object) -> str:
    """The API server URL of pulumi-eks's kubeconfig; a kubeconfig without one is an error
    (never an empty endpoint output)."""
    doc = json.loads(kubeconfig) if isinstance(kubeconfig, str) else kubeconfig
    try:
        server = str(doc["clusters"][0]["cluster"]["server"])  # type: ignore[index]
    except (KeyError, IndexError, TypeError) as error:
        raise ValueError(f"the cluster's kubeconfig names no API server: {error!r}") from error
    if not server.startswith("https://"):
        raise ValueError(f"the cluster's API server {server!r} is not an https URL")
    return server
