"""Containers run as a non-root user."""

from policies.lib import MANDATORY, WORKLOAD_TYPES, Subject, containers, pod_spec, resource_rule


def check(r: Subject) -> list[str]:
    pod = pod_spec(str(r.props.get("kind", "")), r.props) or {}
    pod_ctx = pod.get("securityContext") or {}
    out = []
    for c in containers(r.props):
        ctx = {**pod_ctx, **(c.get("securityContext") or {})}
        if ctx.get("runAsNonRoot") is not True or ctx.get("runAsUser") == 0:
            out.append(f"{r.name}/{c.get('name')} may run as root")
    return out


POLICY = resource_rule(
    "kubernetes-run-as-non-root",
    "Containers set runAsNonRoot: true (and never runAsUser: 0).",
    MANDATORY,
    WORKLOAD_TYPES,
    check,
    "set runAsNonRoot=true and a high runAsUser (e.g. 10001)",
)
