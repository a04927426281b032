"""A cheap environment runs one NAT gateway."""

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import StackValidationArgs

from policies.lib import ADVISORY, stack_rule


def check(args: StackValidationArgs, config: Mapping[str, Any]) -> Iterator[tuple[str, None]]:
    limit = int(config.get("maxNatGateways", 6))
    nats = [r for r in args.resources if r.resource_type == "aws:ec2/natGateway:NatGateway"]
    if len(nats) > limit:
        yield (
            f"{len(nats)} NAT gateways (limit {limit} for this environment, ~$33/month each)",
            None,
        )


POLICY = stack_rule(
    "aws-ec2-nat-gateway-count",
    "NAT gateways per environment stay within the configured count (1 for staging).",
    ADVISORY,
    check,
    "set network.natGateways: single in the stack file",
    config={"maxNatGateways": {"type": "integer", "default": 6}},
)
