"""No privileged containers and no privilege escalation."""

from policies.lib import MANDATORY, WORKLOAD_TYPES, Subject, containers, resource_rule


def check(r: Subject) -> list[str]:
    out = []
    for c in containers(r.props):
        ctx = c.get("securityContext") or {}
        if ctx.get("privileged") is True:
            out.append(f"{r.name}/{c.get('name')} is privileged")
        if ctx.get("allowPrivilegeEscalation") is not False:
            out.append(f"{r.name}/{c.get('name')} may escalate privileges")
    return out


POLICY = resource_rule(
    "kubernetes-no-privileged-containers",
    "Containers are not privileged and set allowPrivilegeEscalation: false.",
    MANDATORY,
    WORKLOAD_TYPES,
    check,
    "set securityContext.privileged=false and allowPrivilegeEscalation=false",
)
