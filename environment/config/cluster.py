"""EKS cluster: control plane access, node groups and add-ons."""

from __future__ import annotations

import ipaddress
import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from components.modes import CapacityType
from components.versions import KUBERNETES_VERSION, SUPPORTED_KUBERNETES_VERSIONS

from .base import ConfigModel, LogRetentionDays

IAM_ROLE_ARN = r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+$"
LABEL_KEY = re.compile(
    r"^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$"
)


class TaintConfig(ConfigModel):
    """A node taint (Kubernetes semantics)."""

    key: str = Field(pattern=LABEL_KEY.pattern, max_length=316)
    """Taint key."""

    value: str = Field(default="", max_length=63)
    """Taint value."""

    effect: Literal["NO_SCHEDULE", "NO_EXECUTE", "PREFER_NO_SCHEDULE"]
    """EKS spelling of the effect."""


class NodeGroupConfig(ConfigModel):
    """One EKS managed node group."""

    instance_types: tuple[str, ...] = Field(default=("m7i.large",), min_length=1, max_length=20)
    """EC2 instance types; give several for SPOT so capacity can be diversified."""

    capacity_type: CapacityType = "ON_DEMAND"
    """``ON_DEMAND`` (production) or ``SPOT`` (cheap, interruptible)."""

    min_size: int = Field(default=3, ge=0, le=100)
    """Minimum nodes (production: at least one per AZ)."""

    desired_size: int = Field(default=3, ge=0, le=100)
    """Nodes at creation (the cluster autoscaler owns it afterwards)."""

    max_size: int = Field(default=12, ge=1, le=100)
    """Maximum nodes."""

    disk_size_gib: int = Field(default=50, ge=20, le=1000)
    """Encrypted gp3 root volume size."""

    labels: dict[str, str] = Field(default_factory=dict)
    """Kubernetes node labels."""

    taints: tuple[TaintConfig, ...] = ()
    """Node taints."""

    @field_validator("instance_types")
    @classmethod
    def _instance_type_shape(cls, types: tuple[str, ...]) -> tuple[str, ...]:
        for t in types:
            if not re.fullmatch(r"[a-z][a-z0-9-]*\.[a-z0-9]+", t):
                raise ValueError(f"{t!r} is not an EC2 instance type (e.g. m7i.large)")
        if len(set(types)) != len(types):
            raise ValueError("instanceTypes has duplicates")
        return types

    @field_validator("labels")
    @classmethod
    def _label_keys(cls, labels: dict[str, str]) -> dict[str, str]:
        for key in labels:
            if not LABEL_KEY.match(key):
                raise ValueError(f"{key!r} is not a valid Kubernetes label key")
        return labels

    @model_validator(mode="after")
    def _sizes_ordered(self) -> NodeGroupConfig:
        if not self.min_size <= self.desired_size <= self.max_size:
            raise ValueError(
                f"need minSize <= desiredSize <= maxSize, got "
                f"{self.min_size} / {self.desired_size} / {self.max_size}"
            )
        return self


class DeployRunnerConfig(ConfigModel):
    """The in-VPC GitHub Actions runner (AWS CodeBuild) that deploys to a private API."""

    repository: str = Field(pattern=r"^[A-Za-z0-9-]+/[A-Za-z0-9._-]+$")
    """GitHub repository ``owner/name`` whose deploy workflow jobs run here."""

    connection_arn: str = Field(
        pattern=r"^arn:aws[a-z-]*:(codeconnections|codestar-connections):[a-z0-9-]+:\d{12}:"
        r"connection/[0-9a-f-]{36}$"
    )
    """AWS CodeConnections connection to GitHub (created and approved once in the console)."""

    workflow_names: tuple[str, ...] = Field(default=("deploy", "drift"), min_length=1)
    """Only jobs of these workflows (their ``name:``) start a runner: the deploy and the
    nightly drift check, whose refresh reads the private API."""

    @field_validator("workflow_names")
    @classmethod
    def _workflow_names(cls, names: tuple[str, ...]) -> tuple[str, ...]:
        for name in names:
            if not re.fullmatch(r"[A-Za-z0-9 _.-]{1,100}", name):
                raise ValueError(f"{name!r} is not a workflow name (letters, digits, ' _.-')")
        return names

    compute_type: Literal[
        "BUILD_GENERAL1_SMALL", "BUILD_GENERAL1_MEDIUM", "BUILD_GENERAL1_LARGE"
    ] = "BUILD_GENERAL1_MEDIUM"
    """CodeBuild compute size (MEDIUM: 4 GiB, 2 vCPU; the program plans in about a minute)."""


ClusterAccess = Literal["cluster-admin", "admin-view", "view"]
"""EKS access policies by name: ``cluster-admin`` (AmazonEKSClusterAdminPolicy: deploys,
which create namespaces, CRDs and cluster roles), ``admin-view`` (AmazonEKSAdminViewPolicy:
reads everything incl. Secrets, for a refresh), ``view`` (AmazonEKSViewPolicy: no Secrets)."""


class AccessEntryConfig(ConfigModel):
    """An IAM role's access to the cluster through an EKS access entry (cluster scope)."""

    principal_arn: str = Field(pattern=IAM_ROLE_ARN)
    """The IAM role (e.g. a CI role ``bootstrap-backend`` created)."""

    access: ClusterAccess
    """What the role may do in Kubernetes."""


class ClusterConfig(ConfigModel):
    """The EKS control plane and its node groups."""

    kubernetes_version: str = KUBERNETES_VERSION
    """Kubernetes minor; one of the versions in EKS standard support (components/versions.py)."""

    endpoint_public_access: bool = False
    """Expose the API server endpoint publicly (restricted to ``publicAccessCidrs``). The
    private endpoint is always on."""

    public_access_cidrs: tuple[ipaddress.IPv4Network, ...] = ()
    """CIDRs allowed to reach a public endpoint; never 0.0.0.0/0."""

    admin_role_arns: tuple[str, ...] = ()
    """IAM roles granted cluster-admin through EKS access entries (no aws-auth ConfigMap)."""

    access_entries: tuple[AccessEntryConfig, ...] = ()
    """More roles and their access, e.g. the CI roles: preview ``view``, drift ``admin-view``,
    the environment's deploy role ``cluster-admin``. Never list the principal that created the
    cluster: EKS made it an admin already, and a second entry fails (ResourceInUseException)."""

    deploy_runner: DeployRunnerConfig | None = None
    """In-VPC CI runner for the private API endpoint; required when ``endpointPublicAccess``
    is false (a hosted runner cannot reach a private endpoint)."""

    service_cidr: ipaddress.IPv4Network = ipaddress.IPv4Network("172.20.0.0/16")
    """Kubernetes Service CIDR; must not overlap the VPC."""

    log_retention_days: LogRetentionDays = 90
    """Days to keep control-plane logs (all five log types are always on)."""

    node_groups: dict[str, NodeGroupConfig] = Field(
        default_factory=lambda: {"general": NodeGroupConfig()}, min_length=1
    )
    """Managed node groups by name."""

    @field_validator("kubernetes_version")
    @classmethod
    def _supported(cls, version: str) -> str:
        if version not in SUPPORTED_KUBERNETES_VERSIONS:
            allowed = ", ".join(SUPPORTED_KUBERNETES_VERSIONS)
            raise ValueError(
                f"Kubernetes {version} is not in EKS standard support; allowed: {allowed}"
            )
        return version

    @field_validator("admin_role_arns")
    @classmethod
    def _role_arns(cls, arns: tuple[str, ...]) -> tuple[str, ...]:
        for arn in arns:
            if not re.fullmatch(IAM_ROLE_ARN, arn):
                raise ValueError(f"{arn!r} is not an IAM role ARN")
        return arns

    @field_validator("node_groups")
    @classmethod
    def _group_names(cls, groups: dict[str, NodeGroupConfig]) -> dict[str, NodeGroupConfig]:
        for name in groups:
            if not re.fullmatch(r"[a-z][a-z0-9-]{0,30}", name):
                raise ValueError(f"node group name {name!r}: lowercase letters, digits, '-'")
        return groups

    @model_validator(mode="after")
    def _one_entry_per_principal(self) -> ClusterConfig:
        seen: set[str] = set()
        for arn in [*self.admin_role_arns, *(e.principal_arn for e in self.access_entries)]:
            if arn in seen:
                raise ValueError(
                    f"accessEntries: {arn} is listed twice (adminRoleArns and accessEntries "
                    "share one EKS access entry per principal)"
                )
            seen.add(arn)
        return self

    @model_validator(mode="after")
    def _endpoint(self) -> ClusterConfig:
        for cidr in self.public_access_cidrs:
            if cidr.prefixlen == 0:
                raise ValueError("publicAccessCidrs must not contain 0.0.0.0/0")
        if self.endpoint_public_access and not self.public_access_cidrs:
            raise ValueError("endpointPublicAccess needs an explicit publicAccessCidrs allow-list")
        return self


def kubernetes_version_step(live: str | None, wanted: str) -> str:
    """``wanted`` if EKS can move the running control plane (``live``; None: none yet) there
    in one update: the same minor or the next one. Otherwise a ``ConfigError`` naming the key:
    EKS refuses downgrades and upgrades one minor at a time (and the node groups must have
    followed before the next)."""
    from .loader import ConfigError

    if live is None or live == wanted:
        return wanted
    (live_major, live_minor), (major, minor) = (
        tuple(map(int, v.split("."))) for v in (live, wanted)
    )
    if (major, minor) < (live_major, live_minor):
        raise ConfigError(
            f"invalid stack config:\n  platform:cluster.kubernetesVersion: {wanted} is older than "
            f"the running control plane ({live}); EKS cannot downgrade a cluster"
        )
    if major != live_major or minor != live_minor + 1:
        step = f"{live_major}.{live_minor + 1}"
        raise ConfigError(
            f"invalid stack config:\n  platform:cluster.kubernetesVersion: {live} -> {wanted} "
            f"skips a minor; EKS upgrades one minor at a time: deploy {step} first"
        )
    return wanted
