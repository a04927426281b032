"""Protected environments: every internet-facing ALB Ingress has a WAF web ACL attached."""

from policies.lib import MANDATORY, Subject, known, resource_rule

SCHEME = "alb.ingress.kubernetes.io/scheme"
WAF = "alb.ingress.kubernetes.io/wafv2-acl-arn"
PREFIX_LISTS = "alb.ingress.kubernetes.io/security-group-prefix-lists"


def check(r: Subject) -> list[str]:
    if not r.config.get("requireWaf", True):
        return []
    meta = r.props.get("metadata") or {}
    annotations = known(lambda: dict(meta.get("annotations") or {}), default=None)
    if annotations is None or annotations.get(SCHEME) != "internet-facing":
        return []  # internal, or not known yet in a preview
    if annotations.get(WAF) not in (None, "", "none"):
        return []
    header_bound = any(
        k.startswith("alb.ingress.kubernetes.io/conditions.") and "http-header" in str(v)
        for k, v in annotations.items()
    )
    if annotations.get(PREFIX_LISTS) and header_bound:
        return []  # only a CDN (its addresses and its secret header): its web ACL is at the edge
    name = f"{meta.get('namespace', 'default')}/{meta.get('name', r.name)}"
    return [f"internet-facing Ingress {name} has no WAF web ACL ({WAF})"]


POLICY = resource_rule(
    "kubernetes-public-ingress-waf",
    "Protected environments: an internet-facing ALB Ingress carries a WAFv2 web ACL.",
    MANDATORY,
    ("kubernetes:networking.k8s.io/v1:Ingress",),
    check,
    "set apps.ingress.waf (the program's web ACL) or apps.ingress.wafAclArn",
    config={"requireWaf": {"type": "boolean", "default": True}},
)
