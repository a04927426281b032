"""Containers declare CPU and memory requests and limits."""

from policies.lib import ADVISORY, WORKLOAD_TYPES, Subject, containers, resource_rule


def check(r: Subject) -> list[str]:
    out = []
    for c in containers(r.props):
        res = c.get("resources") or {}
        for kind in ("requests", "limits"):
            missing = {"cpu", "memory"} - set(res.get(kind) or {})
            if missing:
                out.append(f"{r.name}/{c.get('name')} has no {kind} for {sorted(missing)}")
    return out


POLICY = resource_rule(
    "kubernetes-resources-set",
    "Containers set CPU and memory requests and limits (scheduling, quotas, cost).",
    ADVISORY,
    WORKLOAD_TYPES,
    check,
    "set resources in the workload config (apps.workloads.<name>.resources)",
)
