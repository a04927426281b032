"""Structure rules the linter cannot express: no function over 80 lines (ruff counts
statements, PLR0915, and complexity, C901; see pyproject.toml), and each default in one
place."""

from __future__ import annotations

import ast
import dataclasses
import importlib
import inspect
import pkgutil
from pathlib import Path

import pytest
from pydantic import BaseModel

import components
import environment.config

ROOT = Path(__file__).resolve().parents[1]
MAX_LINES = 80


def test_no_function_over_80_lines() -> None:
    long = []
    for package in ("components", "environment", "policies", "tools"):
        for path in (ROOT / package).rglob("*.py"):
            if ".venv" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    lines = (node.end_lineno or node.lineno) - node.lineno + 1
                    if lines > MAX_LINES:
                        long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({lines})")
    assert long == [], "split these functions:\n" + "\n".join(long)


def _component_arg_defaults() -> dict[str, list[tuple[str, object]]]:
    """``field name -> [(Args class, default)]`` for every component dataclass field with a
    default (None and empty ones included: a missing value is a default too)."""
    found: dict[str, list[tuple[str, object]]] = {}
    for info in pkgutil.walk_packages(components.__path__, "components."):
        module = importlib.import_module(info.name)
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ != module.__name__ or not dataclasses.is_dataclass(cls):
                continue
            if not name.endswith(("Args", "Spec")):
                continue  # a component's inputs, not its internal records
            for f in dataclasses.fields(cls):
                if f.default_factory is not dataclasses.MISSING:
                    default = f.default_factory()
                elif f.default is not dataclasses.MISSING:
                    default = f.default
                else:
                    continue
                found.setdefault(f.name, []).append((f"{module.__name__}.{name}", default))
    return found


def _settings_fields() -> dict[str, str]:
    """Every field of every settings model (a component's, or a stack-config section's) and
    the model that declares it."""
    found: dict[str, str] = {}
    modules = [
        *(i.name for i in pkgutil.walk_packages(components.__path__, "components.")),
        *(
            i.name
            for i in pkgutil.walk_packages(environment.config.__path__, "environment.config.")
        ),
    ]
    for module_name in modules:
        module = importlib.import_module(module_name)
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ != module.__name__ or not issubclass(cls, BaseModel):
                continue
            for field_name in cls.__annotations__:
                if field_name in cls.model_fields:
                    found[field_name] = f"{module.__name__}.{name}"
    return found


SETTINGS_UNDER_OTHER_NAMES = {
    "rotation": "credentials_rotation",
    "lock_min_days": "min_retention_days",
    "lock_max_days": "max_retention_days",
    "secret_store": "cluster_secret_store_name",
}
"""Args fields that carry a setting under another name (compose passes them; no default)."""


def duplicated_defaults() -> list[str]:
    settings = _settings_fields()
    settings.update(
        {alias: settings.get(real, real) for alias, real in SETTINGS_UNDER_OTHER_NAMES.items()}
    )
    return [
        f"{owner}.{name} = {default!r} and {settings[name]}.{name}"
        for name, owners in sorted(_component_arg_defaults().items())
        for owner, default in owners
        if name in settings and name != "protect"
    ]


def test_every_default_lives_in_one_place() -> None:
    """A component's Args field that carries a setting takes it from compose (no default of
    its own); the setting's default lives in the settings model, which the config section
    extends. Two defaults for one setting drift apart: the namespace quota's CPU limit once
    said 64 in the component and 96 in the config."""
    twice = duplicated_defaults()
    assert twice == [], "one default each:\n" + "\n".join(twice)


def test_the_default_check_sees_a_duplicate(monkeypatch: pytest.MonkeyPatch) -> None:
    """A default re-added to an Args dataclass is found (a broken check would pass all)."""
    from components import database_roles

    @dataclasses.dataclass(frozen=True, kw_only=True)
    class DatabaseRolesArgs:
        engine_version: str = "16"

    monkeypatch.setattr(database_roles, "DatabaseRolesArgs", DatabaseRolesArgs)
    DatabaseRolesArgs.__module__ = database_roles.__name__
    assert any("DatabaseRolesArgs.engine_version = '16'" in d for d in duplicated_defaults())
