"""No privileged containers (Pod Security Standards baseline, "Privileged Containers");
privilege escalation is ``kubernetes-pss-privilege-escalation``."""

from policies.lib import MANDATORY, WORKLOAD_TYPES, Subject, containers, resource_rule


def check(r: Subject) -> list[str]:
    out = []
    for c in containers(r.props):
        ctx = c.get("securityContext") or {}
        if ctx.get("privileged") is True:
            out.append(f"{r.name}/{c.get('name')} is privileged")
    return out


POLICY = resource_rule(
    "kubernetes-no-privileged-containers",
    "Containers are not privileged.",
    MANDATORY,
    WORKLOAD_TYPES,
    check,
    "set securityContext.privileged=false",
)
