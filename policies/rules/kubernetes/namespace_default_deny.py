"""Every namespace that runs workloads has a default-deny NetworkPolicy."""

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import StackValidationArgs

from policies.lib import MANDATORY, WORKLOAD_TYPES, stack_rule


def _denies_all(spec: Mapping[str, Any]) -> bool:
    return (
        spec.get("podSelector") in ({}, None)
        and {"Ingress", "Egress"} <= set(spec.get("policyTypes") or [])
        and not spec.get("ingress")
        and not spec.get("egress")
    )


def check(args: StackValidationArgs, config: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    namespaces: dict[str, str] = {}
    for r in args.resources:
        if r.resource_type in WORKLOAD_TYPES:
            ns = (r.props.get("metadata") or {}).get("namespace", "default")
            namespaces.setdefault(ns, r.urn)
    protected = {
        (r.props.get("metadata") or {}).get("namespace", "default")
        for r in args.resources
        if r.resource_type == "kubernetes:networking.k8s.io/v1:NetworkPolicy"
        and _denies_all(r.props.get("spec") or {})
    }
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
