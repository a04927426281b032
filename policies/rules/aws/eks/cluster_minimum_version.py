"""Clusters run a Kubernetes minor that is still in standard support."""

from components.versions import MINIMUM_KUBERNETES_VERSION
from policies.lib import MANDATORY, Subject, resource_rule
from policies.rules.aws.eks.common import CLUSTER_TYPES


def _minor(version: str) -> tuple[int, int]:
    major, minor = ([*version.split("."), "0"])[:2]
    return int(major), int(minor)


def check(r: Subject) -> list[str]:
    version = str(r.props.get("version") or "")
    minimum = str(r.config.get("minimumVersion", MINIMUM_KUBERNETES_VERSION))
    if not version:
        return [f"EKS cluster {r.name} does not pin its Kubernetes version"]
    if _minor(version) < _minor(minimum):
        return [f"EKS cluster {r.name} runs Kubernetes {version} (< {minimum})"]
    return []


POLICY = resource_rule(
    "eks-cluster-minimum-version",
    f"EKS clusters pin a Kubernetes version >= {MINIMUM_KUBERNETES_VERSION}.",
    MANDATORY,
    CLUSTER_TYPES,
    check,
    "upgrade cluster.kubernetesVersion (components/versions.py lists supported versions)",
    config={"minimumVersion": {"type": "string", "default": MINIMUM_KUBERNETES_VERSION}},
)
