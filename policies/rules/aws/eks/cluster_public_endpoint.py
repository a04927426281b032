"""The API server is not open to the whole internet."""

from policies.lib import MANDATORY, Subject, resource_rule
from policies.rules.aws.eks.common import CLUSTER_TYPES, endpoint


def check(r: Subject) -> list[str]:
    public, cidrs = endpoint(r.props)
    if public and ({"0.0.0.0/0", "::/0"} & set(cidrs)):
        return [f"EKS cluster {r.name} API endpoint is open to the world"]
    return []


POLICY = resource_rule(
    "eks-cluster-public-endpoint-restricted",
    "EKS API endpoints are private or restricted to an allow-list.",
    MANDATORY,
    CLUSTER_TYPES,
    check,
    "set endpoint_public_access=False or public_access_cidrs to known ranges",
)
