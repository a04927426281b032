"""EKS cluster: control plane access, node groups and add-ons.

The cluster section is owned by the EksCluster/ClusterAddons work; this is its starting shape.
"""

from __future__ import annotations

import ipaddress
from typing import Literal

from pydantic import Field, model_validator

from .base import ConfigModel, LogRetentionDays


class NodeGroupConfig(ConfigModel):
    """One EKS managed node group."""

    instance_types: tuple[str, ...] = Field(default=("m7i.large",), min_length=1)
    """EC2 instance types; give several for SPOT so capacity can be diversified."""

    capacity_type: Literal["ON_DEMAND", "SPOT"] = "ON_DEMAND"
    """``ON_DEMAND`` (production) or ``SPOT`` (cheap, interruptible)."""

    min_size: int = Field(default=3, ge=0, le=100)
    """Minimum nodes."""

    desired_size: int = Field(default=3, ge=0, le=100)
    """Nodes at creation (the autoscaler owns it afterwards)."""

    max_size: int = Field(default=6, ge=1, le=100)
    """Maximum nodes."""

    @model_validator(mode="after")
    def _sizes_ordered(self) -> NodeGroupConfig:
        if not self.min_size <= self.desired_size <= self.max_size:
            raise ValueError(
                f"need minSize <= desiredSize <= maxSize, got "
                f"{self.min_size} / {self.desired_size} / {self.max_size}"
            )
        return self


class ClusterConfig(ConfigModel):
    """The EKS control plane and its node groups."""

    endpoint_public_access: bool = False
    """Expose the API server endpoint publicly (restricted to ``publicAccessCidrs``)."""

    public_access_cidrs: tuple[ipaddress.IPv4Network, ...] = ()
    """CIDRs allowed to reach a public endpoint; never 0.0.0.0/0."""

    service_cidr: ipaddress.IPv4Network = ipaddress.IPv4Network("172.20.0.0/16")
    """Kubernetes Service CIDR; must not overlap the VPC."""

    log_retention_days: LogRetentionDays = 90
    """Days to keep control-plane logs."""

    node_groups: dict[str, NodeGroupConfig] = Field(
        default_factory=lambda: {"general": NodeGroupConfig()}, min_length=1
    )
    """Managed node groups by name."""

    @model_validator(mode="after")
    def _endpoint(self) -> ClusterConfig:
        for cidr in self.public_access_cidrs:
            if cidr.prefixlen == 0:
                raise ValueError("publicAccessCidrs must not contain 0.0.0.0/0")
        if self.endpoint_public_access and not self.public_access_cidrs:
            raise ValueError("endpointPublicAccess needs an explicit publicAccessCidrs allow-list")
        return self
