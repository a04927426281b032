"""A deliberately insecure stack fails the offline plan and names every broken rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from policies.offline import evaluate
from tests.policies.insecure_program import EXPECTED_RULES, main
from tools.offline.harness import run_program
from tools.plan.cli import EXIT_POLICY_VIOLATION
from tools.plan.cli import main as plan_main

STACK_FILE = Path(__file__).parent / "insecure" / "Pulumi.insecure.yaml"


def test_every_insecure_setting_is_named() -> None:
    result = run_program(STACK_FILE, program=main, stack="insecure")
    assert result.error is None, result.error
    report = evaluate(result.graph)
    missing = set(EXPECTED_RULES) - report.names()
    assert not missing, f"not reported: {[EXPECTED_RULES[m] for m in sorted(missing)]}"
    assert report.mandatory


def test_the_offline_plan_fails(capsys: pytest.CaptureFixture[str]) -> None:
    args = [
        "insecure",
        "--config-file",
        str(STACK_FILE),
        "--program",
        "tests.policies.insecure_program:main",
    ]
    assert plan_main(args) == EXIT_POLICY_VIOLATION
    out = capsys.readouterr()
    for rule in EXPECTED_RULES:
        assert rule in out.out
    assert "mandatory policy violation" in out.err
    assert plan_main([*args, "--policy-report-only"]) == 0
