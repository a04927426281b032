"""No ingress from the whole internet, except HTTP(S) to a load balancer."""

from typing import Any

from policies.lib import MANDATORY, Subject, resource_rule

WORLD = {"0.0.0.0/0", "::/0"}
WEB_PORTS = {80, 443}


def _web_only(from_port: Any, to_port: Any) -> bool:
    try:
        low, high = int(from_port), int(to_port)
    except (TypeError, ValueError):
        return False
    return low == high and low in WEB_PORTS


def check(r: Subject) -> list[str]:
    # Load-balancer groups say so with a tag; only they may take 80/443 from anywhere.
    tags = r.props.get("tags") or {}
    allowed_web = bool(r.config.get("allowWebToLoadBalancers", True)) and (
        tags.get("platform/role") == "load-balancer"
    )
    out = []
    if r.type == "aws:ec2/securityGroup:SecurityGroup":
        for rule in r.props.get("ingress") or []:
            cidrs = set(rule.get("cidrBlocks") or []) | set(rule.get("ipv6CidrBlocks") or [])
            if cidrs & WORLD and not (
                allowed_web and _web_only(rule.get("fromPort"), rule.get("toPort"))
            ):
                out.append(
                    f"security group {r.name} admits {sorted(cidrs & WORLD)} on "
                    f"{rule.get('fromPort')}-{rule.get('toPort')}"
                )
    else:
        cidrs = {r.props.get("cidrIpv4"), r.props.get("cidrIpv6")} - {None}
        if cidrs & WORLD and not (
            allowed_web and _web_only(r.props.get("fromPort"), r.props.get("toPort"))
        ):
            out.append(
                f"ingress rule {r.name} admits {sorted(cidrs & WORLD)} on "
                f"{r.props.get('fromPort')}-{r.props.get('toPort')}"
            )
    return out


POLICY = resource_rule(
    "aws-ec2-security-group-no-world-ingress",
    "No security group ingress from 0.0.0.0/0 or ::/0, except 80/443 to a load balancer "
    "(tagged platform/role=load-balancer).",
    MANDATORY,
    (
        "aws:ec2/securityGroup:SecurityGroup",
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    ),
    check,
    "reference the source security group (referenced_security_group_id) or a narrow CIDR",
    config={"allowWebToLoadBalancers": {"type": "boolean", "default": True}},
)
