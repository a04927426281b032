"""The plan report on the committed stacks: no false serialisation, honest costs."""

from __future__ import annotations

from tools.offline.harness import PlanResult
from tools.report.report import PlanReport, build
from tools.report.timing import analyse, longest_chain_through


def _report(result: PlanResult) -> PlanReport:
    return build(result)


def test_critical_path_is_the_true_chain(plan: PlanResult) -> None:
    """No false dependency between the data layer and the cluster: taking the data layer's
    long resources out shortens the modelled first ``up`` by at most 10 %."""
    total = analyse(plan.graph).total_seconds
    chain = longest_chain_through(plan.graph, ["database", "cache"])
    assert total <= 1.1 * chain, (total, chain)
    assert analyse(plan.graph).false_serialisations == ()


def test_committed_stacks_have_no_unknown_prices_and_fit_their_budget(plan: PlanResult) -> None:
    report = _report(plan)
    assert report.cost.unknown == []
    assert not report.cost.over_budget
    assert report.warnings == []


def test_staging_costs_a_fraction_of_production(
    staging: PlanResult, production: PlanResult
) -> None:
    assert _report(staging).cost.total_usd < 0.5 * _report(production).cost.total_usd
