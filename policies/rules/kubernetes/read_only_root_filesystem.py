"""Root filesystems are read-only (write to an emptyDir instead)."""

from policies.lib import MANDATORY, WORKLOAD_TYPES, Subject, containers, resource_rule


def check(r: Subject) -> list[str]:
    return [
        f"{r.name}/{c.get('name')} has a writable root filesystem"
        for c in containers(r.props)
        if (c.get("securityContext") or {}).get("readOnlyRootFilesystem") is not True
    ]


POLICY = resource_rule(
    "kubernetes-read-only-root-filesystem",
    "Containers set readOnlyRootFilesystem: true.",
    MANDATORY,
    WORKLOAD_TYPES,
    check,
    "set readOnlyRootFilesystem=true and mount an emptyDir at /tmp",
)
