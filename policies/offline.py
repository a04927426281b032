"""Run the policy pack against an offline plan (no Pulumi CLI, no cloud).

``evaluate(graph, config)`` calls every policy's own ``validate`` with real ``pulumi_policy``
argument objects built from the mocked resource graph — the same props (camelCase inputs),
options, provider and dependencies a ``pulumi preview --policy-pack policies`` would pass — and
collects what they report. Pack config uses the CLI's format (``policies/config/<stack>.json``):
``{"<policy>": "disabled" | "advisory" | "mandatory"}`` or ``{"<policy>": {"enforcementLevel":
..., "<property>": value}}``; schema defaults are applied as the CLI would.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyCustomTimeouts,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from policies.graph import Resource, ResourceGraph

from .registry import ALL_POLICIES, Policy

CONFIG_DIR = Path(__file__).resolve().parent / "config"


@dataclass(frozen=True)
class Violation:
    policy: str
    level: str
    message: str
    urn: str | None = None


@dataclass(frozen=True)
class PolicyReport:
    violations: tuple[Violation, ...]
    evaluated: int
    policies: int

    @property
    def mandatory(self) -> list[Violation]:
        return [v for v in self.violations if v.level == "mandatory"]

    @property
    def advisory(self) -> list[Violation]:
        return [v for v in self.violations if v.level == "advisory"]

    def names(self) -> set[str]:
        return {v.policy for v in self.violations}

    def render_text(self) -> list[str]:
        lines = [
            f"Policies: {self.policies} rules on {self.evaluated} resources: "
            f"{len(self.mandatory)} mandatory, {len(self.advisory)} advisory violation(s)"
        ]
        for level, found in (("mandatory", self.mandatory), ("advisory", self.advisory)):
            for v in found:
                lines.append(f"  [{level}] {v.policy}: {v.message}")
        return lines

    def to_json(self) -> dict[str, Any]:
        return {
            "policies": self.policies,
            "evaluated": self.evaluated,
            "mandatory": len(self.mandatory),
            "advisory": len(self.advisory),
            "violations": [asdict(v) for v in self.violations],
        }


def load_config(stack: str) -> dict[str, Any]:
    """The pack config committed for a stack (``policies/config/<stack>.json``), if any."""
    path = CONFIG_DIR / f"{stack}.json"
    return json.loads(path.read_text()) if path.is_file() else {}


def _level_and_config(policy: Policy, config: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    level = (policy.enforcement_level or EnforcementLevel.ADVISORY).value
    properties: dict[str, Any] = {}
    schema = policy.config_schema
    if schema is not None:
        properties = {k: v["default"] for k, v in schema.properties.items() if "default" in v}
    entry = config.get(policy.name)
    if isinstance(entry, str):
        level = entry
    elif isinstance(entry, Mapping):
        level = str(entry.get("enforcementLevel", level))
        properties.update({k: v for k, v in entry.items() if k != "enforcementLevel"})
    return level, properties


def _options(r: Resource) -> PolicyResourceOptions:
    return PolicyResourceOptions(
        protect=r.options.protect,
        ignore_changes=list(r.options.ignore_changes),
        delete_before_replace=r.options.delete_before_replace,
        aliases=list(r.options.aliases),
        custom_timeouts=PolicyCustomTimeouts(0, 0, 0),
        additional_secret_outputs=list(r.options.additional_secret_outputs),
        parent=r.parent,
    )


def _provider(r: Resource, by_urn: Mapping[str, Resource]) -> PolicyProviderResource | None:
    if not r.provider:
        return None
    provider = by_urn.get(r.provider.rsplit("::", 1)[0])
    if provider is None:
        return None
    return PolicyProviderResource(provider.type, provider.inputs, provider.urn, provider.name)


def _policy_resources(graph: ResourceGraph) -> list[PolicyResource]:
    by_urn = graph.by_urn()
    made: dict[str, PolicyResource] = {}
    for r in graph:
        made[r.urn] = PolicyResource(
            r.type, r.inputs, r.urn, r.name, _options(r), _provider(r, by_urn), None, [], {}
        )
    for r in graph:
        target = made[r.urn]
        target.parent = made.get(r.parent) if r.parent else None
        target.dependencies = [made[d] for d in r.dependencies if d in made]
        target.property_dependencies = {
            k: [made[d] for d in deps if d in made] for k, deps in r.property_dependencies.items()
        }
    return list(made.values())


def _reporter(report: Any, urn: str) -> Any:
    def callback(message: str, resource_urn: str | None = None) -> None:
        report(message, resource_urn or urn)

    return callback


def evaluate(graph: ResourceGraph, config: Mapping[str, Any] | None = None) -> PolicyReport:
    """Every policy of the pack against ``graph``."""
    config = config or {}
    by_urn = graph.by_urn()
    violations: list[Violation] = []
    stack_resources = _policy_resources(graph)
    active = 0
    for policy in ALL_POLICIES:
        level, properties = _level_and_config(policy, config)
        if level == "disabled":
            continue
        active += 1

        def report(
            message: str, urn: str | None = None, *, _p: Policy = policy, _l: str = level
        ) -> None:
            violations.append(Violation(_p.name, _l, message, urn))

        if isinstance(policy, ResourceValidationPolicy):
            for r in graph:
                args = ResourceValidationArgs(
                    r.type, r.inputs, r.urn, r.name, _options(r), _provider(r, by_urn), properties
                )
                policy.validate(args, _reporter(report, r.urn))
        elif isinstance(policy, StackValidationPolicy):
            policy.validate(StackValidationArgs(stack_resources, properties), report)
    return PolicyReport(tuple(violations), len(graph), active)
