"""Renaming the apps namespace and a workload in a stack file changes names and nothing else:
the plan of the renamed stack, with the new names written back as the old ones, is the plan of
the committed stack. Scraping, alert rules, alarms, backups, policies and grants all follow
the names from config (issue #19)."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import pytest

from tests.conftest import run_stack_config, stack_config
from tools.offline.harness import PlanResult

NAMESPACE, WORKLOAD = "zqshop", "zqweb"
"""New names that occur nowhere else, so writing them back is exact."""

NAME_DERIVED = [
    # the roles Job is named after a digest of its SQL, which holds the login names
    (re.compile(r"db-roles-[0-9a-f]{10}"), "db-roles-<digest>"),
]


@pytest.fixture(scope="module")
def plans() -> tuple[PlanResult, PlanResult]:
    committed = stack_config("staging")
    renamed = copy.deepcopy(committed)
    apps = renamed["platform:apps"]
    apps["namespace"] = NAMESPACE
    apps["workloads"][WORKLOAD] = apps["workloads"].pop("api")
    for route in apps["ingress"]["routes"]:
        if route["workload"] == "api":
            route["workload"] = WORKLOAD
    before, after = run_stack_config(committed, "staging"), run_stack_config(renamed, "staging")
    assert before.error is None, before.error
    assert after.error is None, after.error
    return before, after


def _canonical(value: Any) -> Any:
    """Order-free and without the mocks' name-derived uids (lists sorted, also inside JSON
    documents; lines of a script sorted: the roles script orders logins by name)."""
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in value.items() if k != "uid"}
    if isinstance(value, list):
        return sorted((_canonical(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
    if isinstance(value, str) and value.startswith("{"):
        try:
            return _canonical(json.loads(value))  # an IAM policy document
        except ValueError:
            pass
    if isinstance(value, str) and "\n" in value:
        return sorted(value.splitlines())
    return value


def _written_back(value: Any) -> str:
    text = json.dumps(value, sort_keys=True).replace(NAMESPACE, "apps").replace(WORKLOAD, "api")
    for pattern, replacement in NAME_DERIVED:
        text = pattern.sub(replacement, text)
    return json.dumps(_canonical(json.loads(text)), sort_keys=True)


def _by_urn(plan: PlanResult) -> dict[str, Any]:
    return {json.loads(_written_back(r.urn)): r for r in plan.graph.resources}


def test_renaming_changes_nothing_but_names(plans: tuple[PlanResult, PlanResult]) -> None:
    before, after = (_by_urn(p) for p in plans)
    assert set(before) == set(after)
    changed = [
        (urn.rsplit("::", 1)[-1], part)
        for urn, resource in before.items()
        for part in ("inputs", "dependencies")
        if _written_back(getattr(resource, part)) != _written_back(getattr(after[urn], part))
    ]
    # the roles' ExternalSecret reads the rotation counter from the first login by name, and
    # Fluent Bit's tail input lists the namespaces in name order (one line)
    assert set(changed) <= {("staging-db-roles-passwords", "inputs"),
                            ("staging-logs-fluent-bit", "inputs")}, changed  # fmt: skip


def test_scraping_and_alerts_follow_the_new_names(plans: tuple[PlanResult, PlanResult]) -> None:
    _, after = plans
    monitors = {
        m.inputs["metadata"]["name"]: m.inputs["spec"]
        for m in after.graph.of_type("kubernetes:monitoring.coreos.com/v1:PodMonitor")
    }
    spec = monitors[f"app-{WORKLOAD}"]
    assert spec["namespaceSelector"] == {"matchNames": [NAMESPACE]}
    assert spec["selector"] == {"matchLabels": {"app.kubernetes.io/name": WORKLOAD}}
    (rules,) = [
        r for r in after.graph.of_type("kubernetes:monitoring.coreos.com/v1:PrometheusRule")
        if r.inputs["metadata"]["name"] == "platform"
    ]  # fmt: skip
    text = json.dumps(rules.inputs["spec"])
    assert f'namespace=\\"{NAMESPACE}\\"' in text
    assert 'namespace=\\"apps\\"' not in text
