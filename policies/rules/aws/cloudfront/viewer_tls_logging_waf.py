"""Every CloudFront distribution serves viewers over TLS 1.2+ only, logs its requests, and in
protected environments sits behind a web ACL."""

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import StackValidationArgs

from policies.lib import MANDATORY, known, stack_rule

DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
LOG_SOURCE = "aws:cloudwatch/logDeliverySource:LogDeliverySource"
SECURE_VIEWERS = ("redirect-to-https", "https-only")


def _tls(props: Mapping[str, Any]) -> Iterator[str]:
    certificate = props.get("viewerCertificate") or {}
    if certificate.get("cloudfrontDefaultCertificate"):
        yield "uses the *.cloudfront.net certificate (TLSv1 allowed)"
    version = str(certificate.get("minimumProtocolVersion") or "TLSv1")
    if not version.startswith(("TLSv1.2", "TLSv1.3")):
        yield f"allows viewers below TLS 1.2 (minimumProtocolVersion {version})"
    behaviors = [
        props.get("defaultCacheBehavior") or {},
        *(props.get("orderedCacheBehaviors") or []),
    ]
    for behavior in behaviors:
        policy = behavior.get("viewerProtocolPolicy")
        if policy not in SECURE_VIEWERS:
            where = behavior.get("pathPattern", "default behaviour")
            yield f"serves plain HTTP on {where} (viewerProtocolPolicy {policy})"


def check(args: StackValidationArgs, config: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    # standard logging v2: a delivery source of ACCESS_LOGS whose resourceArn is the
    # distribution's (a preview's props are inputs: the ARN is linked by dependency)
    logged = {
        d.urn
        for s in args.resources
        if s.resource_type == LOG_SOURCE and s.props.get("logType") == "ACCESS_LOGS"
        for d in (s.property_dependencies or {}).get("resourceArn", [])
    }
    for r in args.resources:
        if r.resource_type != DISTRIBUTION:
            continue
        props = r.props
        # values not known in a preview (a new certificate, a new ACL) count as set
        for problem in known(lambda p=props: list(_tls(p)), default=[]):
            yield f"distribution {r.name} {problem}", r.urn
        legacy = known(lambda p=props: (p.get("loggingConfig") or {}).get("bucket"), default=True)
        if not legacy and r.urn not in logged:
            yield f"distribution {r.name} has no access logs", r.urn
        acl = known(lambda p=props: p.get("webAclId"), default="(unknown)")
        if config.get("requireWaf", True) and not acl:
            yield f"distribution {r.name} has no WAF web ACL (webAclId)", r.urn


POLICY = stack_rule(
    "aws-cloudfront-viewer-tls-logging-waf",
    "CloudFront: viewers on TLS 1.2+ only, access logs, and (protected environments) a web ACL.",
    MANDATORY,
    check,
    "set apps.ingress.cdn (components/cdn.py: TLS 1.2+, standard logging v2) with cdn.waf",
    config={"requireWaf": {"type": "boolean", "default": True}},
)
