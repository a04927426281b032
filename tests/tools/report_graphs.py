"""Hand-built resource graphs for the plan-report tests."""

from __future__ import annotations

from typing import Any

from policies.graph import Resource, ResourceGraph

STACK = "urn:pulumi:t::platform::pulumi:pulumi:Stack::platform-t"


def urn(type_: str, name: str) -> str:
    return f"urn:pulumi:t::platform::{type_}::{name}"


def res(
    type_: str,
    name: str,
    inputs: dict[str, Any] | None = None,
    *,
    deps: tuple[str, ...] = (),
    parent: str | None = None,
    custom: bool = True,
    outputs: dict[str, Any] | None = None,
    provider: str | None = None,
) -> Resource:
    return Resource(
        urn=urn(type_, name),
        type=type_,
        name=name,
        custom=custom,
        parent=parent or STACK,
        provider=provider,
        dependencies=deps,
        property_dependencies={},
        inputs=inputs or {},
        outputs=outputs or {},
    )


def graph(*resources: Resource) -> ResourceGraph:
    return ResourceGraph(tuple(resources))
