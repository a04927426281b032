"""Production HorizontalPodAutoscalers and KEDA ScaledObjects keep at least two replicas (a
ScaledObject at 0 scales to zero: allowed in test environments only)."""

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import StackValidationArgs

from policies.lib import ADVISORY, stack_rule


def check(args: StackValidationArgs, config: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    minimum = int(config.get("minimumReplicas", 2))
    for r in args.resources:
        spec = r.props.get("spec") or {}
        name = (r.props.get("metadata") or {}).get("name", r.name)
        if r.resource_type == "kubernetes:autoscaling/v2:HorizontalPodAutoscaler":
            floor, what = int(spec.get("minReplicas") or 1), "HPA"
        elif r.resource_type == "kubernetes:keda.sh/v1alpha1:ScaledObject":
            # KEDA's default minReplicaCount is 0
            floor, what = int(spec.get("minReplicaCount") or 0), "ScaledObject"
        else:
            continue
        if floor < minimum:
            yield f"{what} {name} may scale down to {floor} replica(s)", r.urn


POLICY = stack_rule(
    "kubernetes-hpa-min-replicas",
    "HPAs and ScaledObjects keep at least minimumReplicas (2 in production; staging sets 0).",
    ADVISORY,
    check,
    "raise autoscaling.minReplicas for the workload (0 only where apps.scaleToZero is set)",
    config={"minimumReplicas": {"type": "integer", "default": 2}},
)
