"""The GitHub workflows: valid against GitHub's schema, and secure by construction."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
SHA = re.compile(r"^[\w.-]+/[\w.-]+@[0-9a-f]{40}$")
EXACT = re.compile(r"^[\w.-]+/[\w.-]+@v\d+\.\d+\.\d+$")


def _load(path: Path) -> dict[str, Any]:
    doc = yaml.safe_load(path.read_text())
    doc["on"] = doc.pop(True, doc.get("on"))  # YAML 1.1 reads the key `on` as True
    return doc


def _workflow(name: str) -> dict[str, Any]:
    return _load(ROOT / ".github" / "workflows" / f"{name}.yml")


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["uv", "run", "check-jsonschema", *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )


def test_workflows_match_githubs_schema() -> None:
    assert {p.stem for p in WORKFLOWS} == {"checks", "preview", "deploy", "drift"}
    result = _run("--builtin-schema", "vendor.github-workflows", *map(str, WORKFLOWS))
    assert result.returncode == 0, result.stdout + result.stderr


def test_dependabot_matches_its_schema() -> None:
    result = _run("--builtin-schema", "vendor.dependabot", str(ROOT / ".github" / "dependabot.yml"))
    assert result.returncode == 0, result.stdout + result.stderr
    ecosystems = {
        u["package-ecosystem"]
        for u in yaml.safe_load((ROOT / ".github" / "dependabot.yml").read_text())["updates"]
    }
    assert ecosystems == {"github-actions", "uv"}


@pytest.mark.skipif(
    shutil.which("actionlint") is None,
    reason="actionlint has no offline-installable package here (PyPI wheel downloads from GitHub; not in Debian)",
)
def test_actionlint() -> None:  # pragma: no cover - runs where actionlint exists
    result = subprocess.run(
        ["actionlint", *map(str, WORKFLOWS)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.stem)
def test_least_privilege_permissions(path: Path) -> None:
    doc = _load(path)
    assert doc["permissions"] in ({}, {"contents": "read"}), "top-level permissions must be minimal"
    for name, job in doc["jobs"].items():
        permissions = job.get("permissions", doc["permissions"])
        assert "write-all" not in str(permissions)
        uses_oidc = any(
            "configure-aws-credentials" in s.get("uses", "") for s in job.get("steps", [])
        )
        assert (permissions.get("id-token") == "write") == uses_oidc, name
        for scope, level in permissions.items():
            if level == "write":
                assert scope in {"id-token", "pull-requests", "issues"}, (name, scope)


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.stem)
def test_no_long_lived_keys_and_pinned_actions(path: Path) -> None:
    text = path.read_text()
    assert "AWS_ACCESS_KEY_ID" not in text
    assert "aws-secret-access-key" not in text
    assert "aws-access-key-id" not in text
    for job in _load(path)["jobs"].values():
        for step in job.get("steps", []):
            if "uses" in step:
                assert SHA.match(step["uses"]) or EXACT.match(step["uses"]), step["uses"]


def test_each_stack_deploys_in_two_phases_through_its_environment() -> None:
    jobs = _workflow("deploy")["jobs"]
    assert list(jobs) == ["staging-aws", "staging", "production-aws", "production"]
    assert jobs["staging-aws"].get("needs") is None
    assert jobs["staging"]["needs"] == "staging-aws"
    assert jobs["production-aws"]["needs"] == "staging"
    assert jobs["production"]["needs"] == "production-aws"
    groups = [job["concurrency"]["group"] for job in jobs.values()]
    assert len(set(groups)) == len(groups)  # a pending job never replaces another stack's
    for name, job in jobs.items():
        stack = name.removesuffix("-aws")
        assert job["environment"] == stack
        assert job["concurrency"]["cancel-in-progress"] is False
        assert job["concurrency"]["group"].startswith("deploy-")
        text = json.dumps(job["steps"])
        if name.endswith("-aws"):
            # hosted: everything but the Kubernetes provider and its dependents, no refresh
            # (refreshing Kubernetes objects would call the private API)
            assert job["runs-on"].startswith("ubuntu-")
            assert "--refresh" not in text
            assert "--exclude-dependents" in text
            urn = job["env"]["K8S_PROVIDER_URN"]
            assert urn.startswith(f"urn:pulumi:{stack}::platform::")
            assert urn.endswith(f"::{stack}-eks-k8s")
        else:
            # inside the VPC: the stack's own CodeBuild runner, refreshed before `up`
            assert job["runs-on"].startswith(f"codebuild-{stack}-deploy-runner-")
            assert '"refresh": true' in text
    assert _workflow("deploy")["on"]["push"]["branches"] == ["main"]


ACCOUNT = "123456789012"
REPOSITORY = "acme/platform"


def _claim(doc: dict[str, Any], job: dict[str, Any]) -> str:
    """The OIDC ``sub`` suffix GitHub presents for a job (GitHub docs, "About security
    hardening with OpenID Connect": environment, else pull_request, else the ref)."""
    if "environment" in job:
        return f"environment:{job['environment']}"
    if set(doc["on"]) == {"pull_request"}:
        return "pull_request"
    return "ref:refs/heads/main"  # schedule and dispatch run on the default branch


def _stack_of(step: dict[str, Any]) -> str | None:
    if "with" in step and "stack-name" in step["with"]:
        return str(step["with"]["stack-name"])
    match = re.search(r"--stack (\S+)", step.get("run", ""))
    return match.group(1) if match else None


def test_every_jobs_claim_is_trusted_by_exactly_the_role_it_assumes() -> None:
    from tools.bootstrap.ci_roles import ci_roles, trust_policy

    roles = {role.name: role for role in ci_roles()}
    subject = {
        name: trust_policy(ACCOUNT, REPOSITORY, role)["Statement"][0]["Condition"]["StringEquals"][
            "token.actions.githubusercontent.com:sub"
        ]
        for name, role in roles.items()
    }
    assumed = set()
    for path in WORKFLOWS:
        doc = _load(path)
        for job_name, job in doc["jobs"].items():
            steps = job.get("steps", [])
            for step in steps:
                if "configure-aws-credentials" not in step.get("uses", ""):
                    continue
                arn = step["with"]["role-to-assume"]
                prefix = "arn:aws:iam::${{ vars.AWS_ACCOUNT_ID }}:role/"
                assert arn.startswith(prefix), (path.stem, job_name, arn)
                role = roles[arn.removeprefix(prefix)]
                claim = f"repo:{REPOSITORY}:{_claim(doc, job)}"
                trusted_by = sorted(name for name, sub in subject.items() if sub == claim)
                assert trusted_by == [role.name], (path.stem, job_name, claim)
                assumed.add(role.name)
                if role.deploys is not None:  # a deploy role only ever deploys its own stack
                    stacks = {_stack_of(s) for s in steps} - {None}
                    assert stacks == {role.deploys}, (job_name, stacks)
    assert assumed == set(roles)


def test_preview_is_skipped_for_forks_and_grouped_per_stack() -> None:
    jobs = _workflow("preview")["jobs"]
    assert (
        jobs["preview"]["if"]
        == "github.event.pull_request.head.repo.full_name == github.repository"
    )
    assert (
        jobs["fork-note"]["if"]
        == "github.event.pull_request.head.repo.full_name != github.repository"
    )
    assert "matrix.stack" in jobs["preview"]["concurrency"]["group"]
    (pulumi_step,) = [s for s in jobs["preview"]["steps"] if "pulumi/actions" in s.get("uses", "")]
    assert pulumi_step["with"]["command"] == "preview"
    assert pulumi_step["with"]["policyPacks"] == "policies"
    assert pulumi_step["with"]["comment-on-pr"] is True


def test_drift_reports_only_changes_the_preview_counted() -> None:
    doc = _workflow("drift")
    assert "schedule" in doc["on"]
    job = doc["jobs"]["drift"]
    (preview,) = [s for s in job["steps"] if s.get("id") == "preview"]
    # a failed preview fails the job (an error); drift is a successful preview with changes
    assert "pulumi preview" in preview["run"]
    assert "--refresh" in preview["run"]
    assert "--expect-no-changes" not in preview["run"]
    assert ".changeSummary" in preview["run"]
    # changes held for the maintenance window are classified as pending, not drift
    assert "uv run python -m tools.drift.classify preview.json" in preview["run"]
    assert '>> "$GITHUB_OUTPUT"' in preview["run"]
    (report,) = [s for s in job["steps"] if s.get("name") == "Report drift"]
    assert report["if"] == "steps.preview.outputs.drift != '0'"
    (reboot,) = [s for s in job["steps"] if s.get("name") == "Report a pending reboot"]
    assert reboot["if"] == "steps.preview.outputs.reboot != '0'"
    assert "gh label create drift" in report["run"]
    assert "--force" in report["run"]
    assert job["permissions"]["issues"] == "write"


def test_drift_runs_inside_each_stacks_vpc() -> None:
    job = _workflow("drift")["jobs"]["drift"]
    assert job["strategy"]["matrix"]["stack"] == ["staging", "production"]
    deploy = _workflow("deploy")["jobs"]
    for stack in ("staging", "production"):
        runner = job["runs-on"].replace("${{ matrix.stack }}", stack)
        assert runner == deploy[stack]["runs-on"]  # the stack's CodeBuild runner in its VPC


def test_checks_run_the_offline_plan_with_policies() -> None:
    steps = " ".join(str(s) for s in _workflow("checks")["jobs"]["checks"]["steps"])
    # every committed stack, a standby after its primary (its plan reads the primary's)
    assert "for stack in staging production production-dr; do" in steps
    committed = {p.name.split(".")[1] for p in ROOT.glob("Pulumi.*.yaml")}
    assert committed == {"staging", "production", "production-dr"}
    assert "for stack in staging production production-dr; do" in (ROOT / ".ci/run").read_text()
    for command in (
        "uv sync --frozen",
        "uv run pytest",
        "uv run plan",
        "--format markdown",
        "upload-artifact",
    ):
        assert command in steps
