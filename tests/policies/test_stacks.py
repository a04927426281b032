"""The committed stacks and every example pass the pack (with the committed pack config;
examples with the production defaults)."""

from __future__ import annotations

from policies.offline import evaluate, load_config
from tools.offline.harness import PlanResult


def test_no_mandatory_violations(product: PlanResult) -> None:
    report = evaluate(product.graph, load_config(product.stack))
    assert report.mandatory == [], report.render_text()


def test_no_advisory_findings_left_unexplained(product: PlanResult) -> None:
    """Advisory findings would have to be listed and justified in the README; there are none."""
    report = evaluate(product.graph, load_config(product.stack))
    assert report.advisory == [], report.render_text()


def test_staging_config_is_what_makes_staging_pass(staging: PlanResult) -> None:
    """Without its pack config, staging's deliberate opt-outs are reported."""
    names = evaluate(staging.graph, {}).names()
    assert {"aws-rds-instance-deletion-protection", "kubernetes-hpa-min-replicas"} <= names
