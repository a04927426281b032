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
    cfg = parse_stack_config(config, "europe")
    assert cfg.region == "eu-west-1"
    assert cfg.protect_stateful_resources is True


def _section(title: str) -> str:
    text = (REPO / "README.md").read_text()
    start = text.index(f"### {title}\n")
    return text[start : text.index("\n## ", start)]


def test_first_deploy_walkthrough_is_true() -> None:
    """Every command, flag, role, variable, environment and secret the walkthrough names
    exists in the code, the workflows and the stack files."""
    import re
    import tomllib

    import yaml

    from components.monitoring.alertmanager import PAGERDUTY_ROUTING_KEY, SLACK_WEBHOOK
    from tools.bootstrap.ci_roles import ci_roles
    from tools.bootstrap.cli import commands

    section = _section("First deploy")
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    for script in re.findall(r"uv run ([\w-]+)", section):
        assert script in scripts, script
    cli = (REPO / "tools" / "bootstrap" / "cli.py").read_text()
    for flag in set(re.findall(r"bootstrap-backend[^\n]*", section)):
        for option in re.findall(r"(--[\w-]+)", flag):
            assert f'"{option}"' in cli, option
    # the stack-init lines are the ones bootstrap prints, with the stack files' provider
    for line in commands("<org>-pulumi-state", "us-east-1", "alias/pulumi-secrets"):
        assert line in section, line
    for stack in ("staging", "production"):
        doc = yaml.safe_load((REPO / f"Pulumi.{stack}.yaml").read_text())
        assert f"--secrets-provider '{doc['secretsprovider']}'" in section
    # every CI role, by name
    assert set(re.findall(r"`(platform-ci-[\w-]+)`", section)) == {r.name for r in ci_roles()}
    # the repository variables are exactly those the workflows read
    workflows = " ".join(p.read_text() for p in (REPO / ".github" / "workflows").glob("*.yml"))
    used = set(re.findall(r"vars\.(\w+)", workflows))
    assert used == {"AWS_ACCOUNT_ID", "PULUMI_BACKEND_URL"}
    for name in used:
        assert f"`{name}`" in section
    environments = set(re.findall(r"environment: (\w+)", workflows))
    assert environments == {"staging", "production"}
    assert "environments\n   `staging` and `production`" in section
    # the secrets put are the ones the program looks up
    paths = set(re.findall(r"put-secret --stack \w+ (alerting/[\w-]+)", section))
    assert paths == {f"alerting/{SLACK_WEBHOOK}", f"alerting/{PAGERDUTY_ROUTING_KEY}"}


def test_day_two_names_only_real_config_keys_and_paths() -> None:
    import re

    text = (REPO / "README.md").read_text()
    start = text.index("## Day two\n")
    section = text[start : text.index("### Before changing a live stack", start)]
    reference = text[text.index("## Config reference") :]
    keys = set(re.findall(r"`((?:cluster|database|cache|monitoring)\.[a-zA-Z.]+)", section))
    assert {"cluster.kubernetesVersion", "database.engineVersion"} <= keys
    for key in keys:
        assert f"`platform:{key}`" in reference, key
    assert "`platform:acceptReplacement`" in reference
    for path in re.findall(r"`((?:components|tools)/[\w/.]+\.py)", section):
        assert (REPO / path.split(":")[0]).exists(), path


def test_policies_and_components_stand_without_the_offline_tools() -> None:
    """The pack and the components import nothing from ``tools/`` nor read files there."""
    import re

    for package in ("policies", "components", "environment"):
        for path in (REPO / package).rglob("*.py"):
            if ".venv" in path.parts:
                continue
            text = path.read_text()
            assert not re.search(r"^\s*(from|import) tools\b", text, re.M), path
            assert '"tools"' not in text, path
