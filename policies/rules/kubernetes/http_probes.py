"""Containers that serve traffic have readiness and liveness probes.

A port named ``metrics`` (only Prometheus scrapes it) is not traffic: a queue worker that
exports metrics needs no readiness probe."""

from policies.lib import ADVISORY, WORKLOAD_TYPES, Subject, containers, resource_rule


def check(r: Subject) -> list[str]:
    out = []
    for c in containers(r.props):
        serving = [p for p in c.get("ports") or [] if p.get("name") != "metrics"]
        if not serving:
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
    "set the workload's health paths (readiness and liveness) or probe: exec",
)
