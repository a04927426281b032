"""Services of type LoadBalancer only where explicitly allowed (ingress goes through the ALB)."""

from policies.lib import MANDATORY, Subject, resource_rule


def check(r: Subject) -> list[str]:
    spec = r.props.get("spec") or {}
    if spec.get("type") != "LoadBalancer":
        return []
    meta = r.props.get("metadata") or {}
    key = f"{meta.get('namespace', 'default')}/{meta.get('name', r.name)}"
    if key in set(r.config.get("allowed", [])):
        return []
    return [f"Service {key} creates a load balancer outside the allow-list"]


POLICY = resource_rule(
    "kubernetes-load-balancer-service-allow-list",
    "Services of type LoadBalancer only from the allow-list (namespace/name).",
    MANDATORY,
    ("kubernetes:core/v1:Service",),
    check,
    "expose HTTP through the ALB Ingress, or add namespace/name to the pack config",
    config={"allowed": {"type": "array", "items": {"type": "string"}, "default": []}},
)
