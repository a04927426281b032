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

from pydantic import BaseModel

import components
import environment.config
from components.settings import Settings

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


def _component_arg_defaults() -> dict[str, tuple[str, object]]:
    """``field name -> (Args class, default)`` for every component dataclass field with a
    default that says something (not None, not empty, not a settings model)."""
    found: dict[str, tuple[str, object]] = {}
    for info in pkgutil.walk_packages(components.__path__, "components."):
        module = importlib.import_module(info.name)
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ != module.__name__ or not dataclasses.is_dataclass(cls):
                continue
            for f in dataclasses.fields(cls):
                default = (
                    f.default_factory()
                    if f.default_factory is not dataclasses.MISSING
                    else f.default
                )
                if default is dataclasses.MISSING or default is None:
                    continue
                if isinstance(default, Settings) or (
                    isinstance(default, tuple | list | dict | str) and not default
                ):
                    continue
                found[f.name] = (f"{module.__name__}.{name}", default)
    return found


def _config_fields_declared_in_environment() -> dict[str, str]:
    """Stack-config fields with a default declared by ``environment.config`` itself (a field a
    section inherits from its component's settings is declared once, in the component)."""
    found: dict[str, str] = {}
    for info in pkgutil.walk_packages(environment.config.__path__, "environment.config."):
        module = importlib.import_module(info.name)
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ != module.__name__ or not issubclass(cls, BaseModel):
                continue
            own = cls.__annotations__
            for field_name, field in cls.model_fields.items():
                if field_name in own and not field.is_required():
                    found[field_name] = f"{module.__name__}.{name}"
    return found


def test_every_default_lives_in_one_place() -> None:
    """A component's Args field that mirrors a stack-config key takes the value from compose
    (no default of its own) or shares the field through the component's settings model, which
    the config section extends: two defaults for one setting drift apart (the namespace quota's
    CPU limit once said 64 in the component and 96 in the config)."""
    config = _config_fields_declared_in_environment()
    twice = [
        f"{owner}.{name} = {default!r} and {config[name]}.{name}"
        for name, (owner, default) in sorted(_component_arg_defaults().items())
        if name in config
    ]
    assert twice == [], "one default each:\n" + "\n".join(twice)


def test_the_default_check_sees_a_duplicate() -> None:
    """The check above finds a mirrored default (a broken check would pass everything)."""
    args = _component_arg_defaults()
    config = _config_fields_declared_in_environment()
    assert "credentials_rotation" in config
    assert "protect" in args
    assert "instance_class" not in config, "inherited from PostgresSettings, declared there"
