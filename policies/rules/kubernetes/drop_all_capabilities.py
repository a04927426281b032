"""Containers drop every Linux capability."""

from policies.lib import MANDATORY, WORKLOAD_TYPES, Subject, containers, resource_rule


def check(r: Subject) -> list[str]:
    out = []
    for c in containers(r.props):
        caps = (c.get("securityContext") or {}).get("capabilities") or {}
        if "ALL" not in (caps.get("drop") or []) or caps.get("add"):
            out.append(f"{r.name}/{c.get('name')} keeps Linux capabilities")
    return out


POLICY = resource_rule(
    "kubernetes-drop-all-capabilities",
    "Containers drop ALL capabilities and add none.",
    MANDATORY,
    WORKLOAD_TYPES,
    check,
    "set securityContext.capabilities.drop=['ALL']",
)
