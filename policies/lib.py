"""Small helpers that keep every rule file short and uniform.

A rule is a plain ``check`` function returning violation messages; :func:`resource_rule` and
:func:`stack_rule` wrap it into a CrossGuard policy whose messages carry the remediation hint.
The same objects run in ``pulumi preview --policy-pack policies`` and offline
(``policies/offline.py``), because both call the policy's ``validate`` with real
``pulumi_policy`` argument objects.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

MANDATORY = EnforcementLevel.MANDATORY
ADVISORY = EnforcementLevel.ADVISORY

WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Pod")


@dataclass(frozen=True)
class Subject:
    """What a resource check sees: type, name, props, policy config, provider props."""

    type: str
    name: str
    props: Mapping[str, Any]
    config: Mapping[str, Any]
    provider_props: Mapping[str, Any]
    protect: bool


ResourceCheck = Callable[[Subject], Iterable[str]]
StackCheck = Callable[[StackValidationArgs, Mapping[str, Any]], Iterable[tuple[str, str | None]]]


def _config(args: Any) -> Mapping[str, Any]:
    try:
        return args.get_config()
    except Exception:  # no config schema: nothing configured
        return {}


def _policy_fields(
    name: str,
    description: str,
    level: EnforcementLevel,
    remediation: str,
    config: Mapping[str, dict[str, Any]] | None,
) -> dict[str, Any]:
    """What every rule of the pack declares besides its validation."""
    return {
        "name": name,
        "description": description,
        "enforcement_level": level,
        "config_schema": PolicyConfigSchema(properties=dict(config)) if config else None,
        "remediation_steps": remediation,
    }


def resource_rule(
    name: str,
    description: str,
    level: EnforcementLevel,
    types: tuple[str, ...],
    check: ResourceCheck,
    remediation: str,
    config: Mapping[str, dict[str, Any]] | None = None,
) -> ResourceValidationPolicy:
    """A resource policy that applies ``check`` to resources of ``types``."""

    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if "*" not in types and args.resource_type not in types:
            return
        subject = Subject(
            type=args.resource_type,
            name=args.name,
            props=args.props,
            config=_config(args),
            provider_props=(args.provider.props if args.provider is not None else {}) or {},
            protect=bool(getattr(args.opts, "protect", False)),
        )
        for message in check(subject):
            report_violation(f"{message}. Fix: {remediation}", None)

    return ResourceValidationPolicy(
        validate=validate, **_policy_fields(name, description, level, remediation, config)
    )


def stack_rule(
    name: str,
    description: str,
    level: EnforcementLevel,
    check: StackCheck,
    remediation: str,
    config: Mapping[str, dict[str, Any]] | None = None,
) -> StackValidationPolicy:
    """A stack policy: ``check`` sees every resource and yields (message, urn)."""

    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        for message, urn in check(args, _config(args)):
            report_violation(f"{message}. Fix: {remediation}", urn)

    return StackValidationPolicy(
        validate=validate, **_policy_fields(name, description, level, remediation, config)
    )


def known(read: Callable[..., Any], *args: Any, default: Any = None) -> Any:
    """``read(*args)``, or ``default`` when it touches a value that is not known yet (a preview of a
    resource being created). A stack rule must not let that escape: the framework would skip the
    whole rule, for every resource of the stack."""
    try:
        return read(*args)
    except UnknownValueError:
        return default


def as_json(value: Any) -> Any:
    """Policy documents arrive as JSON strings (or, in some previews, as objects)."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return {}
    return value or {}


def statements(document: Any) -> list[dict[str, Any]]:
    doc = as_json(document)
    found = doc.get("Statement", []) if isinstance(doc, dict) else []
    return found if isinstance(found, list) else [found]


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def pod_spec(kind: str, props: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The pod spec inside a workload object (None for other kinds)."""
    spec = props.get("spec") or {}
    if kind == "Pod":
        return spec
    if kind == "CronJob":
        return ((((spec.get("jobTemplate") or {}).get("spec") or {}).get("template")) or {}).get(
            "spec"
        ) or {}
    if kind in WORKLOAD_KINDS:
        return ((spec.get("template") or {}).get("spec")) or {}
    return None


def containers(props: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    pod = pod_spec(str(props.get("kind", "")), props)
    if pod is None:
        return []
    return [*(pod.get("initContainers") or []), *(pod.get("containers") or [])]


def kubernetes_workload_types() -> tuple[str, ...]:
    groups = {
        "Deployment": "apps/v1",
        "StatefulSet": "apps/v1",
        "DaemonSet": "apps/v1",
        "ReplicaSet": "apps/v1",
        "Job": "batch/v1",
        "CronJob": "batch/v1",
        "Pod": "core/v1",
    }
    return tuple(f"kubernetes:{g}:{k}" for k, g in groups.items())


WORKLOAD_TYPES = kubernetes_workload_types()
