"""Containers that serve HTTP have readiness and liveness probes."""

from policies.lib import ADVISORY, WORKLOAD_TYPES, Subject, containers, resource_rule


def check(r: Subject) -> list[str]:
    out = []
    for c in containers(r.props):
        if not c.get("ports"):
            continue
        missing = [p for p in ("readinessProbe", "livenessProbe") if not c.get(p)]
        if missing:
            out.append(f"{r.name}/{c.get('name')} serves a port without {missing}")
    return out


POLICY = resource_rule(
    "kubernetes-http-probes",
    "Containers exposing ports define readiness and liveness probes.",
    ADVISORY,
    WORKLOAD_TYPES,
    check,
    "probe /api/v1/health/ready (readiness) and /api/v1/health/live (liveness)",
)
