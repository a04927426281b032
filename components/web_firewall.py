"""WebFirewall: an AWS WAFv2 web ACL for the stack's public ALB.

- The AWS managed rule groups: common (OWASP top 10 shapes), known bad inputs, SQL injection
  and the Amazon IP reputation list.
- A rate-based rule per client IP: ``rateLimit`` requests per ``rateLimitWindowSeconds``,
  optionally only for paths under ``rateLimitPathPrefix`` (e.g. ``/api/``).
- ``mode: count`` for a first rollout (every rule counts, nothing is blocked: read the logs,
  then switch to ``block``).
- Logging to CloudWatch Logs (the group name must start with ``aws-waf-logs-``), retention from
  config.

The ACL is attached to the ALB by the AWS Load Balancer Controller
(``alb.ingress.kubernetes.io/wafv2-acl-arn`` on the Ingress); its role may associate regional
web ACLs of this account and region (``cluster_addons.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, cast

import pulumi
import pulumi_aws as aws
from pydantic import Field

from .settings import LogRetentionDays, Settings

MANAGED_RULE_GROUPS = (
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesSQLiRuleSet",
    "AWSManagedRulesAmazonIpReputationList",
)
RATE_LIMIT_MINIMUM = 10
"""The lowest rate limit WAF accepts (WAF Developer Guide, "Rate-based rule high-level
settings"; the API model's minimum)."""


def acl_description(environment: str, mode: str, front: str = "public ALB") -> str:
    return f"{environment} {front}, {mode} mode"


class FirewallSettings(Settings):
    """A web ACL the program creates for the public ALB; the stack file's
    ``apps.ingress.waf``."""

    mode: Literal["count", "block"] = "block"
    """``count``: every rule only counts (a first rollout); ``block``: rules act."""
    rate_limit: int = Field(default=2000, ge=RATE_LIMIT_MINIMUM, le=2_000_000_000)
    """Requests per client IP and window above which the rate rule acts (WAF's minimum: 10)."""
    rate_limit_window_seconds: Literal[60, 120, 300, 600] = 300
    """The rate rule's evaluation window."""
    rate_limit_path_prefix: str | None = Field(default=None, pattern=r"^/[A-Za-z0-9._~/-]*$")
    """Count only requests under this path (e.g. ``/api/``); null: every request."""
    log_retention_days: LogRetentionDays = 90
    """Days the WAF logs are kept."""


def _visibility(metric: str) -> dict[str, Any]:
    return {
        "cloudwatch_metrics_enabled": True,
        "metric_name": metric,
        "sampled_requests_enabled": True,
    }


def rules(settings: FirewallSettings) -> list[dict[str, Any]]:
    """The managed groups first (priorities 10, 20, ...), the rate rule last."""
    count = settings.mode == "count"
    made: list[dict[str, Any]] = [
        {
            "name": group,
            "priority": 10 * (index + 1),
            "override_action": {"count": {}} if count else {"none": {}},
            "statement": {"managed_rule_group_statement": {"vendor_name": "AWS", "name": group}},
            "visibility_config": _visibility(group),
        }
        for index, group in enumerate(MANAGED_RULE_GROUPS)
    ]
    rate: dict[str, Any] = {
        "limit": settings.rate_limit,
        "aggregate_key_type": "IP",
        "evaluation_window_sec": settings.rate_limit_window_seconds,
    }
    if settings.rate_limit_path_prefix:
        rate["scope_down_statement"] = {
            "byte_match_statement": {
                "field_to_match": {"uri_path": {}},
                "positional_constraint": "STARTS_WITH",
                "search_string": settings.rate_limit_path_prefix,
                "text_transformations": [{"priority": 0, "type": "NONE"}],
            }
        }
    made.append(
        {
            "name": "rate-per-client-ip",
            "priority": 10 * (len(MANAGED_RULE_GROUPS) + 1),
            "action": {"count": {}} if count else {"block": {}},
            "statement": {"rate_based_statement": rate},
            "visibility_config": _visibility("rate-per-client-ip"),
        }
    )
    return made


@dataclass(frozen=True, kw_only=True)
class WebFirewallArgs:
    environment: str
    settings: FirewallSettings
    scope: Literal["REGIONAL", "CLOUDFRONT"] = "REGIONAL"
    """REGIONAL for the ALB; CLOUDFRONT for the CDN (its provider must be us-east-1)."""


class WebFirewall(pulumi.ComponentResource):
    """A web ACL and its logging: regional for the ALB, or CLOUDFRONT for the CDN."""

    acl_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: WebFirewallArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("platform:components:WebFirewall", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        env = args.environment
        label = f"{env}-public" if args.scope == "REGIONAL" else f"{env}-cdn"
        allow: Any = {"allow": {}}
        acl = aws.wafv2.WebAcl(
            f"{name}-acl",
            name=label,
            # WAF's description pattern allows no parentheses (the API refuses, not the preview)
            description=acl_description(
                env, args.settings.mode, "public ALB" if args.scope == "REGIONAL" else "CDN"
            ),
            scope=args.scope,
            default_action=allow,
            rules=cast(Any, rules(args.settings)),
            visibility_config=cast(Any, _visibility(label)),
            opts=child,
        )
        logs = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            # WAF logs only to groups named aws-waf-logs-*
            name=f"aws-waf-logs-{env}" if args.scope == "REGIONAL" else f"aws-waf-logs-{label}",
            retention_in_days=args.settings.log_retention_days,
            opts=child,
        )
        aws.wafv2.WebAclLoggingConfiguration(
            f"{name}-logging",
            resource_arn=acl.arn,
            log_destination_configs=[logs.arn],
            opts=child,
        )
        self.acl_arn = acl.arn
        self.register_outputs({"aclArn": acl.arn})
