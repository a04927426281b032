"""The one place the offline harness touches Pulumi's private runtime.

The Python SDK has no public API for running a program under mocks and collecting what it
registered, so the harness needs a few internals. They live here, behind five functions, and
``tests/tools/test_offline_runtime.py`` pins them to the SDK version they were checked against:
a Pulumi upgrade that moves one fails that test, not the whole suite in mysterious ways.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Coroutine
from typing import Any

import pulumi
from pulumi.runtime import rpc, settings
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

CHECKED_WITH_PULUMI = "3.272.0"
"""The SDK version these internals were checked against (``pyproject.toml`` pins it)."""


def run_sync(awaitable: Coroutine[Any, Any, Any] | Any) -> Any:
    """Drive a coroutine or future to completion on the runtime's loop."""
    return _sync_await(awaitable)


def run_program_sync(program: Callable[[], None]) -> None:
    """Run a Pulumi program function to completion (under the mocks set beforehand)."""
    run_sync(run_pulumi_func(program))


def reset() -> None:
    """Forget the previous program's root stack resource and its outputs."""
    settings.ROOT.set(None)
    settings.SETTINGS.outputs.clear()


def root_outputs() -> dict[str, Any]:
    """The outputs the program exported (``pulumi.export``)."""
    root = settings.get_root_resource()
    return dict(getattr(root, "outputs", None) or {})


def resolve(value: Any) -> tuple[Any, bool]:
    """An output's value (unknowns kept) and whether it is secret."""
    out = pulumi.Output.from_input(value)
    return run_sync(out.future(with_unknowns=True)), bool(run_sync(out.is_secret()))


def deserialize_properties(struct: Any) -> Any:
    return rpc.deserialize_properties(struct)


def patch_resource_references() -> None:
    """Mock-monitor workaround (NOTES-offline-pulumi.md): rehydrating a resource reference on
    a worker thread fails with "Future attached to a different loop"; there, use its URN."""
    original = rpc.deserialize_resource
    if hasattr(original, "__wrapped__"):
        return

    def wrapper(ref_struct: Any, keep_unknowns: bool | None = None) -> Any:
        if threading.current_thread() is not threading.main_thread():
            return str(ref_struct["urn"])
        return original(ref_struct, keep_unknowns)

    wrapper.__wrapped__ = original  # type: ignore[attr-defined]
    rpc.deserialize_resource = wrapper
