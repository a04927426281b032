"""Production HorizontalPodAutoscalers keep at least two replicas."""

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import StackValidationArgs

from policies.lib import ADVISORY, stack_rule


def check(args: StackValidationArgs, config: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    minimum = int(config.get("minimumReplicas", 2))
    for r in args.resources:
        if r.resource_type != "kubernetes:autoscaling/v2:HorizontalPodAutoscaler":
            continue
        spec = r.props.get("spec") or {}
        if int(spec.get("minReplicas") or 1) < minimum:
            name = (r.props.get("metadata") or {}).get("name", r.name)
            yield (
                f"HPA {name} may scale down to {int(spec.get('minReplicas') or 1)} replica(s)",
                r.urn,
            )


POLICY = stack_rule(
    "kubernetes-hpa-min-replicas",
    "HPAs keep at least minimumReplicas (2 in production; staging config sets 1).",
    ADVISORY,
    check,
    "raise autoscaling.minReplicas for the workload",
    config={"minimumReplicas": {"type": "integer", "default": 2}},
)
