"""Multi-replica Deployments have a PodDisruptionBudget."""

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import StackValidationArgs

from policies.lib import ADVISORY, stack_rule

DEPLOYMENT = "kubernetes:apps/v1:Deployment"
HPA = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"
PDB = "kubernetes:policy/v1:PodDisruptionBudget"


def _key(props: Mapping[str, Any]) -> tuple[str, str]:
    meta = props.get("metadata") or {}
    return meta.get("namespace", "default"), meta.get("name", "")


def check(args: StackValidationArgs, config: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    hpa_min = {}
    for r in args.resources:
        if r.resource_type == HPA:
            spec = r.props.get("spec") or {}
            target = (spec.get("scaleTargetRef") or {}).get("name")
            hpa_min[(_key(r.props)[0], target)] = int(spec.get("minReplicas") or 1)
            hpa_min[(_key(r.props)[0], f"{target}#max")] = int(spec.get("maxReplicas") or 1)
    budgets = []
    for r in args.resources:
        if r.resource_type == PDB:
            ns, _ = _key(r.props)
            labels = ((r.props.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
            budgets.append((ns, labels))
    for r in args.resources:
        if r.resource_type != DEPLOYMENT:
            continue
        ns, name = _key(r.props)
        spec = r.props.get("spec") or {}
        replicas = max(int(spec.get("replicas") or 1), hpa_min.get((ns, f"{name}#max"), 0))
        if replicas <= 1:
            continue
        labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
        covered = any(
            b_ns == ns and sel and all(labels.get(k) == v for k, v in sel.items())
            for b_ns, sel in budgets
        )
        if not covered:
            yield (
                f"Deployment {ns}/{name} runs {replicas} replicas without a PodDisruptionBudget",
                r.urn,
            )


POLICY = stack_rule(
    "kubernetes-deployment-has-pdb",
    "Deployments that may run more than one replica have a PodDisruptionBudget.",
    ADVISORY,
    check,
    "add a PodDisruptionBudget selecting the pods (AppDeployment does for >1 replica)",
)
