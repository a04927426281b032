"""The plan report on the committed stacks: no false serialisation, honest costs."""

from __future__ import annotations

import pytest

from tools.offline.harness import PlanResult, standby_stacks
from tools.report.report import PlanReport, build
from tools.report.timing import analyse, longest_chain_through


def _report(result: PlanResult, request: pytest.FixtureRequest) -> PlanReport:
    """With the committed standby of the stack, as ``uv run plan`` reports it."""
    standby = request.getfixturevalue("production_dr") if result.stack == "production" else None
    assert standby_stacks(result.stack) == (["production-dr"] if standby else [])
    return build(result, standby)


def test_critical_path_is_the_true_chain(plan: PlanResult) -> None:
    """No false dependency between the data layer and the cluster: taking the data layer's
    long resources out shortens the modelled first ``up`` by at most 10 %."""
    total = analyse(plan.graph).total_seconds
    chain = longest_chain_through(plan.graph, ["database", "cache"])
    assert total <= 1.1 * chain, (total, chain)
    assert analyse(plan.graph).false_serialisations == ()


def test_committed_stacks_have_no_unknown_prices_and_fit_their_budget(
    plan: PlanResult, request: pytest.FixtureRequest
) -> None:
    report = _report(plan, request)
    assert report.cost.unknown == []
    assert not report.cost.over_budget
    assert report.warnings == []


def test_staging_costs_a_fraction_of_production(
    staging: PlanResult, production: PlanResult
) -> None:
    assert build(staging).cost.total_usd < 0.5 * build(production).cost.total_usd
