"""Step 1: the VPC."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from components._util import plan_subnets
from components.vpc import Vpc, VpcArgs

from .context import Context


@dataclass(frozen=True)
class Network:
    vpc: Vpc
    subnets: Any
    """The subnet plan (CIDRs per tier), for NetworkPolicies that name the tiers."""


def network(ctx: Context) -> Network:
    net = ctx.cfg.network
    vpc = Vpc(
        f"{ctx.env}-network",
        VpcArgs(
            region=ctx.cfg.region,
            cidr=str(net.cidr),
            az_count=net.az_count,
            nat_gateways=net.nat_gateways,
            flow_log_retention_days=net.flow_logs.retention_days,
            flow_log_traffic_type=net.flow_logs.traffic_type,
            dynamodb_endpoint=net.dynamodb_endpoint,
            interface_endpoints=net.interface_endpoints,
        ),
        opts=ctx.aws_opts,
    )
    return Network(vpc, plan_subnets(net.cidr, net.az_count))
