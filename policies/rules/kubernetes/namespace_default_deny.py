"""Every namespace that runs workloads has a default-deny NetworkPolicy."""

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import StackValidationArgs

from policies.lib import MANDATORY, WORKLOAD_TYPES, stack_rule


def _selects_all(selector: Any) -> bool:
    """``{}``, absent, or ``{matchLabels: {}}`` / ``{matchExpressions: []}``: every pod."""
    if selector in ({}, None):
        return True
    return isinstance(selector, Mapping) and not any(
        selector.get(key) for key in ("matchLabels", "matchExpressions")
    )


def _denied_directions(spec: Mapping[str, Any]) -> set[str]:
    """Directions a policy closes for every pod: listed in ``policyTypes`` (Ingress when
    absent) with no rule for that direction. A namespace may close them in one policy or in
    two (deny-ingress, deny-egress)."""
    if not _selects_all(spec.get("podSelector")):
        return set()
    types = set(spec.get("policyTypes") or ["Ingress"])
    denied = set()
    if "Ingress" in types and not spec.get("ingress"):
        denied.add("Ingress")
    if "Egress" in types and not spec.get("egress"):
        denied.add("Egress")
    return denied


def check(args: StackValidationArgs, config: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    namespaces: dict[str, str] = {}
    for r in args.resources:
        if r.resource_type in WORKLOAD_TYPES:
            ns = (r.props.get("metadata") or {}).get("namespace", "default")
            namespaces.setdefault(ns, r.urn)
    closed: dict[str, set[str]] = {}
    for r in args.resources:
        if r.resource_type == "kubernetes:networking.k8s.io/v1:NetworkPolicy":
            ns = (r.props.get("metadata") or {}).get("namespace", "default")
            closed.setdefault(ns, set()).update(_denied_directions(r.props.get("spec") or {}))
    protected = {ns for ns, directions in closed.items() if {"Ingress", "Egress"} <= directions}
    for ns, urn in sorted(namespaces.items()):
        if ns not in protected:
            yield f"namespace {ns} runs workloads without a default-deny NetworkPolicy", urn


POLICY = stack_rule(
    "kubernetes-namespace-default-deny",
    "Namespaces with workloads have a default-deny (ingress and egress) NetworkPolicy.",
    MANDATORY,
    check,
    "add a NetworkPolicy with podSelector {} and policyTypes [Ingress, Egress] (AppNamespace does)",
)
