"""Shared fixtures: the whole program run once per stack file under Pulumi mocks.

``staging`` and ``production`` are session-scoped: the program runs once per stack and every
test asserts on the same result (resource inputs, outputs and options), which keeps the suite
fast. ``run_stack_config`` runs the program for an ad-hoc config (bad-input tests), and
``run_component`` runs a single component under the same harness.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from tools.offline.harness import (
    PlanResult,
    read_stack_file,
    remember_outputs,
    run_program,
    run_with_config,
)

REPO = Path(__file__).resolve().parents[1]
STACKS = ("staging", "production")


@pytest.fixture(scope="session")
def staging() -> PlanResult:
    result = run_program(REPO / "Pulumi.staging.yaml")
    assert result.error is None, result.error
    return result


@pytest.fixture(scope="session")
def production() -> PlanResult:
    result = run_program(REPO / "Pulumi.production.yaml")
    assert result.error is None, result.error
    remember_outputs(result, REPO / "Pulumi.production.yaml")  # what its standby reads
    return result


@pytest.fixture(scope="session")
def production_dr(production: PlanResult) -> PlanResult:
    """Production's warm standby; its StackReference answered from production's plan."""
    result = run_program(
        REPO / "Pulumi.production-dr.yaml", stack_outputs={"production": production.outputs}
    )
    assert result.error is None, result.error
    return result


@pytest.fixture(params=STACKS)
def plan(request: pytest.FixtureRequest) -> PlanResult:
    """Parametrized over both committed stacks."""
    return request.getfixturevalue(request.param)


EXAMPLES = sorted((REPO / "examples").glob("Pulumi.*.yaml"))
"""Other product shapes, each a complete stack file (README "Examples")."""

_PLANS: dict[Path, PlanResult] = {}


def planned(path: Path) -> PlanResult:
    """A stack file planned once per test process."""
    if path not in _PLANS:
        _PLANS[path] = run_program(path)
    return _PLANS[path]


@pytest.fixture(params=[*STACKS, *(p.name for p in EXAMPLES)])
def product(request: pytest.FixtureRequest) -> PlanResult:
    """Every committed stack and every example."""
    if request.param in STACKS:
        return request.getfixturevalue(request.param)
    result = planned(REPO / "examples" / request.param)
    assert result.error is None, result.error
    return result


def stack_config(stack: str) -> dict[str, Any]:
    """The committed stack file's config section, as parsed YAML (for building variants)."""
    return yaml.safe_load((REPO / f"Pulumi.{stack}.yaml").read_text())["config"]


def run_stack_config(
    config: Mapping[str, Any], stack: str = "staging", live: Mapping[str, Any] | None = None
) -> PlanResult:
    """Run the whole program for a config mapping shaped like a stack file's ``config:``
    (``live``: what already runs, see ``PlatformMocks.live``)."""
    flat = {k: v if isinstance(v, str) else json.dumps(v) for k, v in config.items()}
    return run_with_config(flat, stack, live=live)


def run_component(program: Callable[[], None], stack: str = "test") -> PlanResult:
    """Run a small program (usually one component) under the same mocks and monitor."""
    config, _ = read_stack_file(REPO / "Pulumi.production.yaml")
    return run_with_config(config, stack, program)
