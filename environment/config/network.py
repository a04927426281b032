"""Network: one VPC per environment, carved into public, private and database subnets."""

from __future__ import annotations

import ipaddress
from typing import Literal

from pydantic import Field, field_validator, model_validator

from components.modes import NatGateways

from .base import ConfigModel, LogRetentionDays

InterfaceEndpoint = Literal["ecr.api", "ecr.dkr", "sts", "secretsmanager", "logs"]

MIN_VPC_PREFIX = 16
MAX_VPC_PREFIX = 20


class FlowLogsConfig(ConfigModel):
    """VPC flow logs to CloudWatch Logs."""

    retention_days: LogRetentionDays = 365
    """Days to keep flow logs."""

    traffic_type: Literal["ALL", "ACCEPT", "REJECT"] = "ALL"
    """Which traffic to record."""


class NetworkConfig(ConfigModel):
    """The VPC: CIDR, AZs, NAT layout, flow logs and VPC endpoints."""

    cidr: ipaddress.IPv4Network = ipaddress.IPv4Network("10.0.0.0/16")
    """VPC CIDR (private range, prefix /16 to /20). Subnets are carved from it."""

    az_count: int = Field(default=3, ge=2, le=6)
    """Availability zones to span (2-6; EKS and RDS subnet groups need at least 2)."""

    nat_gateways: NatGateways = "one_per_az"
    """``one_per_az`` survives an AZ outage; ``single`` saves cost (staging)."""

    flow_logs: FlowLogsConfig = FlowLogsConfig()
    """VPC flow logs (always on)."""

    dynamodb_endpoint: bool = False
    """Add a DynamoDB gateway endpoint (the S3 gateway endpoint is always created)."""

    interface_endpoints: tuple[InterfaceEndpoint, ...] = (
        "ecr.api",
        "ecr.dkr",
        "sts",
        "secretsmanager",
        "logs",
    )
    """Interface endpoints for private-cluster traffic (each costs per AZ-hour)."""

    @field_validator("cidr")
    @classmethod
    def _private_and_sized(cls, cidr: ipaddress.IPv4Network) -> ipaddress.IPv4Network:
        if not cidr.is_private:
            raise ValueError(f"{cidr} is not a private (RFC 1918) range")
        if not MIN_VPC_PREFIX <= cidr.prefixlen <= MAX_VPC_PREFIX:
            raise ValueError(
                f"{cidr} has prefix /{cidr.prefixlen}; "
                f"allowed /{MIN_VPC_PREFIX} to /{MAX_VPC_PREFIX}"
            )
        return cidr

    reserved_cidrs: tuple[ipaddress.IPv4Network, ...] = ()
    """CIDRs in use elsewhere (peered VPCs, VPN, other environments) the VPC must not overlap."""

    @field_validator("interface_endpoints")
    @classmethod
    def _unique(cls, endpoints: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(endpoints)) != len(endpoints):
            raise ValueError("interface endpoints must not repeat")
        return endpoints

    @model_validator(mode="after")
    def _no_overlap(self) -> NetworkConfig:
        for reserved in self.reserved_cidrs:
            if self.cidr.overlaps(reserved):
                raise ValueError(f"cidr {self.cidr} overlaps reservedCidrs entry {reserved}")
        return self
