"""PublicIngress: the stack's one internet-facing ALB for every public workload.

One Ingress in an IngressGroup (``alb.ingress.kubernetes.io/group.name``): the AWS Load
Balancer Controller makes exactly one ALB for the group however many workloads and hosts it
routes. HTTPS only (HTTP redirects to 443), one certificate per host family (SNI, the first is
the default), rules per host; the longest path prefix wins (the controller sorts Prefix
paths longest first, ``sortIngressPaths``; they are listed that way here too). Health checks
are per target group, set on each public workload's Service (its readiness path); each
backend is the Service on the workload's own port (Service port = container port).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from .cdn import OriginGuard, alb_rule_condition


@dataclass(frozen=True)
class Route:
    hosts: tuple[str, ...]
    paths: tuple[str, ...]
    service: str
    """The public workload's Service."""
    port: int
    """Its port (the workload's container port)."""


@dataclass(frozen=True, kw_only=True)
class PublicIngressArgs:
    environment: str
    namespace: str
    routes: Sequence[Route]
    certificate_arns: Sequence[pulumi.Input[str]]
    access_log_bucket: pulumi.Input[str]
    k8s_provider: k8s.Provider
    ssl_policy: str
    waf_acl_arn: pulumi.Input[str] | None
    """The web ACL the controller associates with the ALB (an existing one, or
    ``WebFirewall``'s)."""
    cdn_guard: OriginGuard | None
    """Behind the CDN: admit only CloudFront's origin-facing addresses, on HTTPS, with the
    distribution's secret header on every rule (None: open to the internet)."""
    ready: Sequence[pulumi.Resource] = ()
    """Controllers the Ingress must wait for (and that must outlive the ALB)."""
    depends_on: Sequence[pulumi.Resource] = field(default_factory=list)
    """The routed workloads (their Services)."""


def load_balancer_name(environment: str) -> str:
    return f"{environment}-public"


def ingress_rules(routes: Sequence[Route]) -> list[dict[str, Any]]:
    """One rule per host; its paths longest first, so the longest matching prefix wins."""
    by_host: dict[str, list[tuple[str, str, int]]] = {}
    for route in routes:
        for host in route.hosts:
            by_host.setdefault(host, []).extend(
                (path, route.service, route.port) for path in route.paths
            )
    return [
        {
            "host": host,
            "http": {
                "paths": [
                    {
                        "path": path,
                        "pathType": "Prefix",
                        "backend": {"service": {"name": service, "port": {"number": port}}},
                    }
                    for path, service, port in sorted(paths, key=lambda p: (-len(p[0]), p[0]))
                ]
            },
        }
        for host, paths in sorted(by_host.items())
    ]


def ingress_annotations(
    args: PublicIngressArgs,
    access_log_bucket: str,
    waf_acl_arn: str | None,
    certificate_arns: Sequence[str],
    guard: tuple[str, list[str]] | None = None,
) -> dict[str, str]:
    """The controller's annotations; ``guard`` = (prefix list id, accepted header values)
    behind a locked CDN."""
    annotations = {
        "alb.ingress.kubernetes.io/group.name": args.environment,
        "alb.ingress.kubernetes.io/scheme": "internet-facing",
        "alb.ingress.kubernetes.io/target-type": "ip",
        "alb.ingress.kubernetes.io/load-balancer-name": load_balancer_name(args.environment),
        "alb.ingress.kubernetes.io/listen-ports": '[{"HTTP": 80}, {"HTTPS": 443}]',
        "alb.ingress.kubernetes.io/ssl-redirect": "443",
        "alb.ingress.kubernetes.io/certificate-arn": ",".join(certificate_arns),
        "alb.ingress.kubernetes.io/ssl-policy": args.ssl_policy,
        "alb.ingress.kubernetes.io/backend-protocol": "HTTP",
        "alb.ingress.kubernetes.io/load-balancer-attributes": ",".join(
            [
                "access_logs.s3.enabled=true",
                f"access_logs.s3.bucket={access_log_bucket}",
                "access_logs.s3.prefix=alb",
                "routing.http.drop_invalid_header_fields.enabled=true",
                "deletion_protection.enabled=false",
            ]
        ),
    }
    # absent would leave whatever ACL is attached in place (the controller's documented
    # behaviour): "none" detaches, so removing `waf` can delete its ACL
    annotations["alb.ingress.kubernetes.io/wafv2-acl-arn"] = waf_acl_arn or "none"
    if guard is not None and args.cdn_guard is not None:
        prefix_list, accepted = guard
        # CloudFront's list weighs 55 security-group rules per port: HTTPS only (the CDN
        # redirects viewers' HTTP), under the default 60 inbound rules
        annotations["alb.ingress.kubernetes.io/listen-ports"] = '[{"HTTPS": 443}]'
        del annotations["alb.ingress.kubernetes.io/ssl-redirect"]
        annotations["alb.ingress.kubernetes.io/security-group-prefix-lists"] = prefix_list
        for service in sorted({r.service for r in args.routes}):
            annotations[f"alb.ingress.kubernetes.io/conditions.{service}"] = alb_rule_condition(
                args.cdn_guard.header, accepted
            )
    return annotations


class PublicIngress(pulumi.ComponentResource):
    """The ALB (one Ingress of the environment's IngressGroup)."""

    ingress: k8s.networking.v1.Ingress
    load_balancer_name: str

    def __init__(
        self, name: str, args: PublicIngressArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("platform:components:PublicIngress", name, None, opts)
        self.load_balancer_name = load_balancer_name(args.environment)
        hosts = sorted({h for r in args.routes for h in r.hosts})
        guard = args.cdn_guard if args.cdn_guard and args.cdn_guard.locked else None
        spec: Any = {
            "ingressClassName": "alb",
            "tls": [{"hosts": hosts}],
            "rules": ingress_rules(args.routes),
        }
        self.ingress = k8s.networking.v1.Ingress(
            f"{name}-ingress",
            metadata={
                "name": "public",
                "namespace": args.namespace,
                "annotations": pulumi.Output.all(
                    args.access_log_bucket,
                    args.waf_acl_arn,
                    guard.prefix_list_id if guard else None,
                    guard.accepted if guard else None,
                    *args.certificate_arns,
                ).apply(
                    lambda v: ingress_annotations(
                        args, v[0], v[1], v[4:], (v[2], v[3]) if guard else None
                    )
                ),
            },
            spec=spec,
            opts=pulumi.ResourceOptions(
                parent=self,
                provider=args.k8s_provider,
                # the controller must outlive the ALB it created (safe destroy order)
                depends_on=[*args.depends_on, *args.ready],
            ),
        )
        self.register_outputs({"loadBalancerName": self.load_balancer_name})
