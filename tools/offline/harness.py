"""Run the whole Pulumi program for one stack file under mocks and capture the resource graph.

This is the offline stand-in for ``pulumi preview``: the program, its config loading and its
components run exactly as in a real deployment; only the engine and the providers are mocked.
The monitor records, for every registration, what ``Mocks.new_resource`` cannot see: parent,
dependencies, provider and resource options (protect, retain_on_delete, ...).
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import yaml
from google.protobuf.json_format import MessageToDict
from pulumi.runtime import mocks as pulumi_mocks

from policies.graph import Resource, ResourceGraph, ResourceOptions

from . import runtime
from .mocks import NEVER_PRODUCED, PlatformMocks, to_json_safe

PROJECT = "platform"
REPO_ROOT = Path(__file__).resolve().parents[2]

OFFLINE_SECRET_PLACEHOLDER = "offline-plan-secret"
"""Value given to ``secure:`` stack-file entries, which cannot be decrypted offline."""


class CapturingMonitor(pulumi_mocks.MockMonitor):
    """A mock monitor that records every registration with its options."""

    def __init__(
        self, mocks: pulumi.runtime.Mocks, progress: Callable[[int, Resource], None] | None = None
    ) -> None:
        super().__init__(mocks)
        self.records: list[Resource] = []
        self._lock = threading.Lock()
        self._progress = progress

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)
        if request.type == "pulumi:pulumi:Stack":
            return response
        urn = response.urn
        registration = self.resources.get(urn)
        record = Resource(
            urn=urn,
            type=request.type,
            name=request.name,
            custom=bool(request.custom),
            parent=request.parent or None,
            provider=request.provider or None,
            dependencies=tuple(request.dependencies),
            property_dependencies={
                k: tuple(v.urns) for k, v in request.propertyDependencies.items()
            },
            inputs=_decode_provider_inputs(
                request.type, to_json_safe(runtime.deserialize_properties(request.object))
            ),
            outputs=_mask(
                to_json_safe({"id": registration.id, **registration.state} if registration else {}),
                request.additionalSecretOutputs,
            ),
            options=ResourceOptions(
                protect=request.HasField("protect") and request.protect,
                retain_on_delete=request.HasField("retainOnDelete") and request.retainOnDelete,
                delete_before_replace=bool(request.deleteBeforeReplace),
                ignore_changes=tuple(request.ignoreChanges),
                replace_on_changes=tuple(request.replaceOnChanges),
                additional_secret_outputs=tuple(request.additionalSecretOutputs),
                aliases=tuple(_alias_text(a) for a in request.aliases) + tuple(request.aliasURNs),
                deleted_with=request.deletedWith or None,
            ),
        )
        with self._lock:
            self.records.append(record)
            count = len(self.records)
        if self._progress is not None:
            self._progress(count, record)
        return response


def _decode_provider_inputs(type_: str, inputs: dict[str, Any]) -> dict[str, Any]:
    """Provider inputs travel with nested objects JSON-encoded (``defaultTags``); decode them
    so tools and policies read ``defaultTags.tags`` like any other object."""
    if not type_.startswith("pulumi:providers:"):
        return inputs
    decoded = dict(inputs)
    for key, value in inputs.items():
        if isinstance(value, str) and value[:1] in "{[":
            with contextlib.suppress(json.JSONDecodeError):
                decoded[key] = json.loads(value)
    return decoded


def _alias_text(alias: Any) -> str:
    """An alias as text: its URN, or its spec as compact JSON."""
    if alias.urn:
        return str(alias.urn)
    return json.dumps(MessageToDict(alias.spec), sort_keys=True)


@dataclass(frozen=True)
class PlanResult:
    """What an offline run of the program produced."""

    stack: str
    config: Mapping[str, Any]
    graph: ResourceGraph
    outputs: dict[str, Any]
    secret_outputs: frozenset[str]
    error: str | None = None
    """The config error (or other program error) that stopped the run, if any."""
    secret_keys: frozenset[str] = field(default_factory=frozenset)
    calls: tuple[tuple[str, dict[str, Any]], ...] = ()
    """Data-source calls (invokes) the program made: token and arguments."""


def _mask(outputs: dict[str, Any], secret_names: Any) -> dict[str, Any]:
    """Outputs the engine would keep secret (``additional_secret_outputs``) shown masked."""
    return {k: ("[secret]" if k in set(secret_names) else v) for k, v in outputs.items()}


def read_stack_file(path: Path) -> tuple[dict[str, str], set[str]]:
    """Stack-file config as the engine passes it: ``{"ns:key": "json-or-string"}``."""
    doc = yaml.safe_load(path.read_text()) or {}
    config = doc.get("config") or {}
    if not isinstance(config, dict):
        raise ValueError(f"{path}: 'config' must be a mapping")
    values: dict[str, str] = {}
    secret_keys: set[str] = set()
    for key, value in config.items():
        key = str(key)
        if ":" not in key:
            key = f"{PROJECT}:{key}"
        if isinstance(value, dict) and set(value) == {"secure"}:
            values[key] = OFFLINE_SECRET_PLACEHOLDER
            secret_keys.add(key)
        elif isinstance(value, str):
            values[key] = value
        else:
            values[key] = json.dumps(value)
    return values, secret_keys


def stack_name_of(path: Path) -> str:
    """``Pulumi.staging.yaml`` -> ``staging``."""
    parts = path.name.split(".")
    if len(parts) >= 3 and parts[0] == "Pulumi" and parts[-1] in ("yaml", "yml"):
        return ".".join(parts[1:-1])
    return path.stem


def _never_produced(records: list[Resource]) -> str | None:
    found: list[str] = []

    def walk(value: Any, path: str) -> None:
        if value == NEVER_PRODUCED:
            found.append(path)
        elif isinstance(value, dict):
            for key, item in value.items():
                walk(item, f"{path}.{key}")
        elif isinstance(value, list):
            for index, item in enumerate(value):
                walk(item, f"{path}[{index}]")

    for record in records:
        walk(record.inputs, record.name)
    if not found:
        return None
    return "strict: inputs built from outputs the mocks never produced:\n  " + "\n  ".join(found)


def run_program(
    stack_file: Path,
    program: Callable[[], None] | None = None,
    stack: str | None = None,
    extra_config: Mapping[str, str] | None = None,
    progress: Callable[[int, Resource], None] | None = None,
    stack_outputs: Mapping[str, Mapping[str, Any]] | None = None,
) -> PlanResult:
    """Run ``program`` (default: the project's ``environment.compose.run``) for a stack file.

    ``secure:`` values (which cannot be decrypted offline) become an opaque placeholder.
    """
    config, secret_keys = read_stack_file(stack_file)
    config.update(extra_config or {})
    return run_with_config(
        config,
        stack or stack_name_of(stack_file),
        program,
        secret_keys,
        progress=progress,
        stack_outputs=stack_outputs,
    )


def run_with_config(
    config: Mapping[str, str],
    stack: str,
    program: Callable[[], None] | None = None,
    secret_keys: set[str] | frozenset[str] = frozenset(),
    progress: Callable[[int, Resource], None] | None = None,
    live: Mapping[str, Any] | None = None,
    strict: bool = False,
    stack_outputs: Mapping[str, Mapping[str, Any]] | None = None,
) -> PlanResult:
    """Run ``program`` under mocks with a flat engine-style config (``{"ns:key": "value"}``);
    ``live`` describes what already runs (``PlatformMocks.live``; default: a first deploy).
    ``strict`` runs the program as a preview, where an output the mocks never produced is
    unknown rather than silently absent, and reports every input built from one as an error
    (a component reading an output the mocks lack would otherwise pass unnoticed).
    ``progress`` is called after each registration with the count so far and the resource.

    ``stack_outputs`` answer ``StackReference``s by stack name; by default a standby's primary
    is planned first from its committed stack file and its outputs answer the standby's
    reference (what a real ``pulumi up`` reads from the primary's last deploy).

    Config errors do not raise: they come back in ``PlanResult.error`` together with the graph
    of what was registered before the error (nothing, for config errors).
    """
    from environment.config import ConfigError

    if program is None:
        from environment.compose import run as default_program

        program = default_program

    if stack_outputs is None:
        stack_outputs = primary_outputs(config)
    region = config.get("aws:region", "us-east-1")
    runtime.reset()
    pulumi.runtime.set_all_config(dict(config), sorted(secret_keys))
    mocks = PlatformMocks(region, live, stack_outputs)
    monitor = CapturingMonitor(mocks, progress)
    runtime.patch_resource_references()
    pulumi.runtime.set_mocks(mocks, project=PROJECT, stack=stack, preview=strict, monitor=monitor)

    error: str | None = None
    main_program = program
    try:
        runtime.run_program_sync(main_program)
    except ConfigError as exc:
        error = str(exc)

    outputs: dict[str, Any] = {}
    secret_outputs: set[str] = set()
    try:
        for name, value in runtime.root_outputs().items():
            resolved, secret = runtime.resolve(value)
            if secret:
                secret_outputs.add(name)
            outputs[name] = to_json_safe(resolved)
    except ConfigError as exc:  # judged against live state, inside an apply
        error = error or str(exc)
    runtime.reset()
    if strict and error is None:
        error = _never_produced(monitor.records)
    return PlanResult(
        stack=stack,
        config=dict(config),
        graph=ResourceGraph(tuple(monitor.records)),
        outputs=outputs,
        secret_outputs=frozenset(secret_outputs),
        error=error,
        secret_keys=frozenset(secret_keys),
        calls=tuple(mocks.calls),
    )


def primary_outputs(config: Mapping[str, str]) -> dict[str, dict[str, Any]]:
    """A standby's primary's outputs from an offline plan of its committed stack file (no
    standby: none). A primary that does not plan gives none: the standby's own run then
    reports the config error that names it."""
    from environment.config.loader import primary_stack_of

    primary = primary_stack_of(config)
    path = REPO_ROOT / f"Pulumi.{primary}.yaml"
    if primary is None or not path.is_file():
        return {}
    key = (primary, path.read_text())
    if key not in _PRIMARY_OUTPUTS:  # one plan of the primary per process and file content
        remember_outputs(run_program(path, stack=primary, stack_outputs={}), path)
    return _PRIMARY_OUTPUTS.get(key, {})


def remember_outputs(result: PlanResult, path: Path) -> None:
    """Keep a committed stack's plan outputs for the standbys planned later in this process."""
    if result.error is None:
        _PRIMARY_OUTPUTS[(result.stack, path.read_text())] = {result.stack: result.outputs}


_PRIMARY_OUTPUTS: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}


def standby_stacks(primary: str, project_dir: Path = REPO_ROOT) -> list[str]:
    """The committed stacks whose ``platform:standby.primaryStack`` is ``primary``."""
    from environment.config.loader import (
        committed_stack_config,
        committed_stacks,
        primary_stack_of,
    )

    return [
        stack
        for stack in committed_stacks(project_dir)
        if primary_stack_of(committed_stack_config(stack, project_dir) or {}) == primary
    ]
