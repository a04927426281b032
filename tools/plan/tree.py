"""Console rendering of a plan: the component tree, outputs and a summary line."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from policies.graph import Resource, ResourceGraph

SECRET_MASK = "[secret]"


def short_type(type_: str) -> str:
    """``aws:ec2/natGateway:NatGateway`` -> ``aws:NatGateway``; components keep their name."""
    pkg, _, rest = type_.partition(":")
    return f"{pkg}:{rest.rsplit(':', 1)[-1]}" if rest else type_


def _counts(resources: list[Resource]) -> str:
    counts = Counter(short_type(r.type) for r in resources)
    return ", ".join(f"{n}x {t}" if n > 1 else t for t, n in sorted(counts.items()))


def render_tree(graph: ResourceGraph) -> list[str]:
    """Top-level resources; components with their children counted by type (nested)."""
    by_parent: dict[str | None, list[Resource]] = {}
    urns = {r.urn for r in graph}
    for r in graph:
        parent = r.parent if r.parent in urns else None
        by_parent.setdefault(parent, []).append(r)

    lines: list[str] = []

    def walk(resource: Resource, depth: int) -> None:
        children = by_parent.get(resource.urn, [])
        indent = "  " * depth
        if not children:
            return
        leaves = [c for c in children if c.urn not in by_parent]
        subcomponents = [c for c in children if c.urn in by_parent]
        total = sum(1 for _ in graph.descendants(resource.urn))
        lines.append(f"{indent}{resource.name} ({short_type(resource.type)}, {total} resources)")
        if leaves:
            lines.append(f"{indent}  {_counts(leaves)}")
        for sub in subcomponents:
            walk(sub, depth + 1)

    top = by_parent.get(None, [])
    loose = [r for r in top if r.urn not in by_parent]
    for r in top:
        walk(r, 0)
    if loose:
        lines.append(f"(stack) {_counts(loose)}")
    return lines


def render_outputs(outputs: dict[str, Any], secret: frozenset[str]) -> list[str]:
    lines = []
    for name in sorted(outputs):
        value = SECRET_MASK if name in secret else outputs[name]
        text = value if isinstance(value, str) else json.dumps(value)
        if len(text) > 100:
            text = text[:97] + "..."
        lines.append(f"  {name}: {text}")
    return lines


def summary_line(stack: str, graph: ResourceGraph) -> str:
    custom = sum(1 for r in graph if r.custom)
    components = sum(1 for r in graph if not r.custom)
    kinds = len({r.type for r in graph if r.custom})
    return (
        f"plan {stack}: {custom} resources of {kinds} types in {components} components "
        f"(offline, under mocks)"
    )
