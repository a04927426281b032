"""DnsFailover: Route 53 failover records for every public host, primary region first.

Each host gets two alias records of the same name: PRIMARY at the primary's ALB and SECONDARY
at the standby's. Route 53 answers with the primary while both of these hold:

- the primary's health check passes: a TCP connect to the primary ALB's port 443 from Route 53's
  checkers (the ALB itself, not the host name, which would follow the failover and flap back);
- the primary ALB's target health (``evaluate_target_health``): every target group with targets
  has a healthy one.

A region loss fails both; an application down in every zone of the primary fails the second.
The SECONDARY record does not evaluate the standby's target health: Route 53 answers with the
primary when the secondary is unhealthy, and a standby standing by may have no ready target.

``failed_over`` (a promoted standby) drops the PRIMARY records: the SECONDARY alone answers,
whatever the primary's state (``uv run failover --execute`` deletes them first; the promoted
stack's ``pulumi up`` keeps them away). Inverting the health check would not do: an inverted
check of an unreachable ALB reads healthy. Alias records have a fixed 60 s TTL.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

ALIAS_TTL_SECONDS = 60
"""Route 53 answers alias records with the target's TTL: 60 s for an ALB."""


@dataclass(frozen=True, kw_only=True)
class AliasTarget:
    """An ALB as an alias target: its DNS name and canonical hosted zone."""

    dns_name: pulumi.Input[str]
    zone_id: pulumi.Input[str]


@dataclass(frozen=True, kw_only=True)
class DnsFailoverArgs:
    environment: str
    """The standby's environment (names and tags)."""
    primary_environment: str
    hosts: Sequence[str]
    zone_id: str
    primary: AliasTarget
    standby: AliasTarget
    request_interval_seconds: int
    failure_threshold: int
    failed_over: bool
    """No PRIMARY records: every host answers with the standby."""


class DnsFailover(pulumi.ComponentResource):
    health_check_id: pulumi.Output[str]

    def __init__(
        self, name: str, args: DnsFailoverArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("platform:components:DnsFailover", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.health_check = aws.route53.HealthCheck(
            f"{name}-primary",
            type="TCP",
            fqdn=args.primary.dns_name,
            port=443,
            request_interval=args.request_interval_seconds,
            failure_threshold=args.failure_threshold,
            tags={"Name": f"{args.primary_environment} ALB (failover to {args.environment})"},
            opts=child,
        )
        self.records: list[aws.route53.Record] = []
        for host in args.hosts:
            roles: list[tuple[str, AliasTarget, pulumi.Output[str] | None, bool]] = [
                ("SECONDARY", args.standby, None, False)
            ]
            if not args.failed_over:
                roles.insert(0, ("PRIMARY", args.primary, self.health_check.id, True))
            for role, target, check, evaluate in roles:
                self.records.append(
                    aws.route53.Record(
                        f"{name}-{host}-{role.lower()}",
                        zone_id=args.zone_id,
                        name=host,
                        type="A",
                        set_identifier=(
                            args.primary_environment if role == "PRIMARY" else args.environment
                        ),
                        failover_routing_policies=[
                            aws.route53.RecordFailoverRoutingPolicyArgs(type=role)
                        ],
                        health_check_id=check,
                        aliases=[
                            aws.route53.RecordAliasArgs(
                                name=target.dns_name,
                                zone_id=target.zone_id,
                                evaluate_target_health=evaluate,
                            )
                        ],
                        opts=child,
                    )
                )
        self.health_check_id = self.health_check.id
        self.register_outputs({"healthCheckId": self.health_check_id})
