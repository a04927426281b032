"""The README's promises stay true."""

from __future__ import annotations

from pathlib import Path

from tools.docs.config_reference import README, render, update_readme

REPO = Path(__file__).resolve().parents[1]


def test_config_reference_is_current() -> None:
    text = README.read_text()
    assert update_readme(text, render()) == text, (
        "README config reference is stale: "
        "run `uv run python -m tools.docs.config_reference --write`"
    )


def test_readme_starts_with_the_two_commands() -> None:
    text = README.read_text()
    first_block = text.split("```bash", 1)[1].split("```", 1)[0]
    commands = [line for line in first_block.splitlines() if line and not line.startswith("#")]
    assert commands[0].endswith("uv run plan staging")
    assert commands[1] == "uv run pytest"


def test_ci_runs_the_readme_test_command() -> None:
    ci = (REPO / ".ci" / "run").read_text()
    assert "uv run pytest" in ci
    assert "uv sync --frozen" in ci


def test_plan_numbers_are_current() -> None:
    from tools.report.readme import BEGIN, END, render, reports

    text = README.read_text()
    current = text.split(BEGIN, 1)[1].split(END, 1)[0].strip()
    assert current == render(reports()).strip(), (
        "README plan numbers are stale: run `uv run python -m tools.report.readme --write`"
    )


def test_new_stack_template_validates() -> None:
    import yaml

    from environment.config import parse_stack_config

    config = yaml.safe_load((REPO / "docs" / "Pulumi.stack.yaml.example").read_text())["config"]
    secrets = {"platform:alertSlackWebhookUrl": "s", "platform:alertPagerdutyRoutingKey": "p"}
    cfg = parse_stack_config({**config, **secrets}, "europe")
    assert cfg.region == "eu-west-1"
    assert cfg.protect_stateful_resources is True
