"""``uv run plan``: report in text, Markdown and JSON; ``plan diff``."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest

from tools.plan.cli import main

REPO = Path(__file__).resolve().parents[2]


def test_markdown_format_prints_only_the_report(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["staging", "--format", "markdown"]) == 0
    out = capsys.readouterr()
    assert out.out.startswith("### Plan report: `staging`")
    assert "| **total** |" in out.out
    assert "Resources of stack" not in out.out
    assert "plan staging:" in out.err


def test_json_includes_the_report(tmp_path: Path) -> None:
    target = tmp_path / "plan.json"
    assert main(["production", "--json", str(target)]) == 0
    report = json.loads(target.read_text())["report"]
    assert set(report) >= {"cost", "deploy", "recovery", "facts", "warnings"}
    assert report["cost"]["priceTable"]["checked"]
    assert report["cost"]["totalMonthly"] > 0
    assert report["deploy"]["totalSeconds"] > 0


def test_diff_shows_what_differs(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", "staging", "production"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["staging", "production"]
    nat = next(line for line in out if line.startswith("NAT gateways"))
    assert nat.split()[-2:] == ["1", "3"]
    assert any(line.startswith("monthly cost (USD)") for line in out)


def test_diff_pairs_resources_by_role(capsys: pytest.CaptureFixture[str]) -> None:
    """One row per node group, database and cache (not one per resource name), integers as
    integers and flags as yes/no."""
    assert main(["diff", "staging", "production"]) == 0
    out = capsys.readouterr().out.splitlines()
    rows = {line.split("  ")[0]: line for line in out}
    for role in ("nodes general-az1 (min/desired/max)", "database postgres-db",
                 "cache cache-valkey", "autoscaling api"):  # fmt: skip
        row = rows[role]
        assert "  -  " not in f"{row}  ", row  # both stacks on the same row
        assert not row.rstrip().endswith(" -"), row
    assert rows["nodes general-az3 (min/desired/max)"].split()[-1] == "1/1/4"
    assert "multi-AZ no" in rows["database postgres-db"]
    assert "multi-AZ yes" in rows["database postgres-db"]
    text = "\n".join(out)
    assert ".0/" not in text
    assert ".0 d" not in text
    assert "False" not in text
    assert "None" not in text


def test_diff_markdown_and_unknown_stack(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", "staging", "production", "--format", "markdown"]) == 0
    assert capsys.readouterr().out.startswith("|  | staging | production |")
    assert main(["diff", "staging", "nope"]) == 2
    assert "no stack file" in capsys.readouterr().err


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_plan_shows_progress_in_a_terminal_and_nothing_in_a_pipe() -> None:
    from tools.offline.harness import run_program
    from tools.plan.cli import Progress

    terminal = _Tty()
    with Progress(terminal, "staging", interval=0.0) as progress:
        result = run_program(REPO / "Pulumi.staging.yaml", progress=progress)
    shown = terminal.getvalue()
    counts = [int(n) for n in re.findall(r"staging: (\d+) resources registered", shown)]
    assert counts == sorted(counts)
    assert counts[-1] == len(result.graph)
    assert shown.endswith("\r\033[K")  # the line is cleared before the report prints
    pipe = io.StringIO()
    with Progress(pipe, "staging", interval=0.0) as quiet:
        quiet(1, result.graph.resources[0])
    assert pipe.getvalue() == ""
