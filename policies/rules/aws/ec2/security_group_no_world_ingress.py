"""No ingress from the whole internet, except HTTP(S) to a load balancer.

A stack rule: an ingress *rule* resource (``aws:vpc/securityGroupIngressRule``, or
``aws:ec2/securityGroupRule`` of type ``ingress``) is judged by the tags of the security group
it belongs to, found through its ``securityGroupId`` dependency; a rule's own tags say nothing
about the group it opens.
"""

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import StackValidationArgs

from policies.lib import MANDATORY, known, stack_rule

WORLD = {"0.0.0.0/0", "::/0"}
WEB_PORTS = {80, 443}
GROUP = "aws:ec2/securityGroup:SecurityGroup"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
LEGACY_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"


def _web_only(from_port: Any, to_port: Any) -> bool:
    try:
        low, high = int(from_port), int(to_port)
    except (TypeError, ValueError):
        return False
    return low == high and low in WEB_PORTS


def _load_balancer(props: Mapping[str, Any]) -> bool:
    return (props.get("tags") or {}).get("platform/role") == "load-balancer"


def _world(*cidr_lists: Any) -> set[str]:
    cidrs: set[str] = set()
    for value in cidr_lists:
        if isinstance(value, str):
            cidrs.add(value)
        elif isinstance(value, list | tuple):
            cidrs.update(v for v in value if isinstance(v, str))
    return cidrs & WORLD


def check(args: StackValidationArgs, config: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    allow_web = bool(config.get("allowWebToLoadBalancers", True))
    for r in args.resources:
        # a value not known yet skips this resource (judged at `up`), never the whole rule
        yield from known(_all_findings, r, allow_web, default=[])


def _all_findings(r: Any, allow_web: bool) -> list[tuple[str, str]]:
    return list(_findings(r, allow_web))


def _group_is_load_balancer(group: Any) -> bool:
    return _load_balancer(group.props)


def _findings(r: Any, allow_web: bool) -> Iterator[tuple[str, str]]:
    """Violations of one resource (an inline group or an ingress rule resource)."""
    if r.resource_type == GROUP:
        web_ok = allow_web and _load_balancer(r.props)
        for rule in r.props.get("ingress") or []:
            world = _world(rule.get("cidrBlocks"), rule.get("ipv6CidrBlocks"))
            if world and not (web_ok and _web_only(rule.get("fromPort"), rule.get("toPort"))):
                yield (
                    f"security group {r.name} admits {sorted(world)} on "
                    f"{rule.get('fromPort')}-{rule.get('toPort')}",
                    r.urn,
                )
        return
    if r.resource_type == INGRESS_RULE:
        world = _world(r.props.get("cidrIpv4"), r.props.get("cidrIpv6"))
    elif r.resource_type == LEGACY_RULE and r.props.get("type") == "ingress":
        world = _world(r.props.get("cidrBlocks"), r.props.get("ipv6CidrBlocks"))
    else:
        return
    if not world:
        return
    groups = (r.property_dependencies or {}).get("securityGroupId") or []
    web_ok = allow_web and any(known(_group_is_load_balancer, g) for g in groups)
    if not (web_ok and _web_only(r.props.get("fromPort"), r.props.get("toPort"))):
        yield (
            f"ingress rule {r.name} admits {sorted(world)} on "
            f"{r.props.get('fromPort')}-{r.props.get('toPort')}",
            r.urn,
        )


POLICY = stack_rule(
    "aws-ec2-security-group-no-world-ingress",
    "No security group ingress from 0.0.0.0/0 or ::/0 (inline, ingress-rule or legacy "
    "security-group-rule resources), except 80/443 to a load balancer's group (tagged "
    "platform/role=load-balancer).",
    MANDATORY,
    check,
    "reference the source security group (referenced_security_group_id) or a narrow CIDR",
    config={"allowWebToLoadBalancers": {"type": "boolean", "default": True}},
)
