"""The harness's private Pulumi internals are where ``tools/offline/runtime.py`` expects them,
in the SDK version it was checked with."""

from __future__ import annotations

import importlib.metadata

from pulumi.runtime import rpc, settings, sync_await
from pulumi.runtime import stack as runtime_stack

from tools.offline import runtime


def test_the_sdk_is_the_version_the_adapter_was_checked_with() -> None:
    assert importlib.metadata.version("pulumi") == runtime.CHECKED_WITH_PULUMI, (
        "re-check tools/offline/runtime.py against the new SDK, then update CHECKED_WITH_PULUMI"
    )


def test_the_internals_the_adapter_uses_exist() -> None:
    assert callable(sync_await._sync_await)
    assert callable(runtime_stack.run_pulumi_func)
    assert callable(settings.get_root_resource)
    assert hasattr(settings.ROOT, "set")
    assert hasattr(settings.SETTINGS, "outputs")
    assert callable(rpc.deserialize_properties)
    assert callable(rpc.deserialize_resource)


def test_only_the_adapter_imports_them() -> None:
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "tools"
    private = ("sync_await", "run_pulumi_func", "settings.ROOT", "rpc.deserialize")
    for path in root.rglob("*.py"):
        if path.name == "runtime.py":
            continue
        text = path.read_text()
        assert not any(name in text for name in private), path
