"""Node groups use allowed instance families and stay under a node ceiling."""

from policies.lib import ADVISORY, Subject, resource_rule

DEFAULT_FAMILIES = [
    "m5",
    "m5a",
    "m6i",
    "m6a",
    "m7i",
    "m7i-flex",
    "m7a",
    "m7g",
    "c6i",
    "c7i",
    "r6i",
    "r7i",
    "t3",
    "t3a",
]


def check(r: Subject) -> list[str]:
    allowed = set(r.config.get("allowedFamilies", DEFAULT_FAMILIES))
    max_nodes = int(r.config.get("maxNodesPerGroup", 20))
    out = []
    for instance_type in r.props.get("instanceTypes") or []:
        family, _, size = str(instance_type).partition(".")
        if family not in allowed or "metal" in size:
            out.append(
                f"node group {r.name} uses {instance_type} (allowed families: {sorted(allowed)})"
            )
    maximum = int((r.props.get("scalingConfig") or {}).get("maxSize") or 0)
    if maximum > max_nodes:
        out.append(f"node group {r.name} may grow to {maximum} nodes (limit {max_nodes})")
    return out


POLICY = resource_rule(
    "aws-eks-node-group-allowed-instances",
    "Node groups use allowed instance families and at most the configured node count.",
    ADVISORY,
    ("aws:eks/nodeGroup:NodeGroup", "eks:index:ManagedNodeGroup"),
    check,
    "pick an allowed family in cluster.nodeGroups or raise the limit in the pack config",
    config={
        "allowedFamilies": {
            "type": "array",
            "items": {"type": "string"},
            "default": DEFAULT_FAMILIES,
        },
        "maxNodesPerGroup": {"type": "integer", "default": 20},
    },
)
