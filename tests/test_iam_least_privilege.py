"""Every IAM policy the project writes: no wildcard actions; IRSA trusts one subject."""

from __future__ import annotations

import json
from typing import Any

from tools.offline.harness import PlanResult

POLICY_TYPES = ("aws:iam/rolePolicy:RolePolicy", "aws:iam/policy:Policy")


def _statements(document: str) -> list[dict[str, Any]]:
    statements = json.loads(document)["Statement"]
    return statements if isinstance(statements, list) else [statements]


def _actions(statement: dict[str, Any]) -> list[str]:
    action = statement.get("Action", [])
    return [action] if isinstance(action, str) else list(action)


def test_no_wildcard_actions(plan: PlanResult) -> None:
    policies = [r for t in POLICY_TYPES for r in plan.graph.of_type(t)]
    assert policies
    for policy in policies:
        for statement in _statements(policy.inputs["policy"]):
            for action in _actions(statement):
                assert action != "*", policy.name
                assert not action.endswith(":*"), (policy.name, action)


def test_web_identity_trusts_name_exactly_one_service_account(plan: PlanResult) -> None:
    irsa = 0
    for role in plan.graph.of_type("aws:iam/role:Role"):
        for statement in _statements(role.inputs["assumeRolePolicy"]):
            if statement["Action"] != "sts:AssumeRoleWithWebIdentity":
                continue
            irsa += 1
            conditions = statement["Condition"]
            assert set(conditions) == {"StringEquals"}, role.name
            subjects = [v for k, v in conditions["StringEquals"].items() if k.endswith(":sub")]
            assert len(subjects) == 1, role.name
            assert subjects[0].startswith("system:serviceaccount:")
            assert "*" not in subjects[0]
    assert irsa >= 5
