"""The committed stacks pass the pack with their committed pack config."""

from __future__ import annotations

from policies.offline import evaluate, load_config
from tools.offline.harness import PlanResult


def test_no_mandatory_violations(plan: PlanResult) -> None:
    report = evaluate(plan.graph, load_config(plan.stack))
    assert report.mandatory == [], report.render_text()


def test_no_advisory_findings_left_unexplained(plan: PlanResult) -> None:
    """Advisory findings would have to be listed and justified in the README; there are none."""
    report = evaluate(plan.graph, load_config(plan.stack))
    assert report.advisory == [], report.render_text()


def test_staging_config_is_what_makes_staging_pass(staging: PlanResult) -> None:
    """Without its pack config, staging's deliberate opt-outs are reported."""
    names = evaluate(staging.graph, {}).names()
    assert {"aws-rds-instance-deletion-protection", "kubernetes-hpa-min-replicas"} <= names
