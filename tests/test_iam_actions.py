"""Every IAM action the project grants exists: a misspelt action (``s3:GetObjects``) is not an
error anywhere, it just grants nothing, and the workload fails on a real account.

The catalogue is ``awacs`` (cloudtools), generated from AWS's Service Authorization Reference;
its version is pinned in ``uv.lock``."""

from __future__ import annotations

import fnmatch
import functools
import importlib
import json
import pkgutil
from collections.abc import Iterator
from typing import Any

import awacs
from awacs.aws import Action

from tests.conftest import run_stack_config, stack_config
from tools.bootstrap.ci_roles import ci_roles, permission_policy, trust_policy
from tools.offline.harness import PlanResult


@functools.cache
def catalogue() -> frozenset[str]:
    names: set[str] = set()
    for info in pkgutil.iter_modules(awacs.__path__):
        module = importlib.import_module(f"awacs.{info.name}")
        names.update(v.JSONrepr() for v in vars(module).values() if isinstance(v, Action))
    return frozenset(name.lower() for name in names)


def documents(value: Any) -> Iterator[dict[str, Any]]:
    """Every IAM policy document in a resource's inputs (a JSON string or object with a
    ``Statement``), however deep."""
    if isinstance(value, str) and '"Statement"' in value:
        try:
            value = json.loads(value)
        except ValueError:
            return
    if isinstance(value, dict):
        if "Statement" in value:
            yield value
            return
        for item in value.values():
            yield from documents(item)
    elif isinstance(value, list):
        for item in value:
            yield from documents(item)


STATEMENT_ELEMENTS = {"Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction",
                      "Resource", "NotResource", "Condition"}  # fmt: skip


def actions(document: dict[str, Any]) -> Iterator[str]:
    """The actions a document grants or denies; every statement well formed (a misspelt
    element such as ``Actions`` would grant nothing and hide its actions from the check)."""
    statements = document["Statement"]
    for statement in statements if isinstance(statements, list) else [statements]:
        assert set(statement) <= STATEMENT_ELEMENTS, statement
        assert statement["Effect"] in ("Allow", "Deny"), statement
        assert ("Action" in statement) != ("NotAction" in statement), statement
        for key in ("Action", "NotAction"):
            granted = statement.get(key, [])
            yield from [granted] if isinstance(granted, str) else granted


def unknown(granted: Iterator[str]) -> set[str]:
    known = catalogue()
    return {
        action for action in granted if action != "*" and not fnmatch.filter(known, action.lower())
    }


def test_the_catalogue_knows_what_the_platform_uses() -> None:
    assert len(catalogue()) > 15_000
    assert (
        unknown(iter(["s3:GetObject", "rds-db:connect", "sts:AssumeRoleWithWebIdentity"])) == set()
    )
    assert unknown(iter(["s3:GetObjects", "kms:Decrypts"])) == {"s3:GetObjects", "kms:Decrypts"}
    assert unknown(iter(["ec2:Describe*"])) == set()


def test_every_action_granted_by_the_program_exists(product: PlanResult) -> None:
    found = [
        (resource.name, action)
        for resource in product.graph.resources
        for document in documents(resource.inputs)
        for action in actions(document)
    ]
    assert len(found) > 100
    missing = unknown(iter(a for _, a in found))
    assert missing == set(), sorted((n, a) for n, a in found if a in missing)


def test_every_action_granted_with_every_addon_on_exists() -> None:
    """The stacks leave external-dns off: its role is checked with it on."""
    config = stack_config("production")
    config["platform:addons"] = {
        "externalDns": {"enabled": True, "hostedZoneId": "Z0123456789ABCDEFGHIJ",
                        "domain": "example.com"}
    }  # fmt: skip
    plan = run_stack_config(config, "production")
    assert plan.error is None, plan.error
    role = plan.graph.named("production-addons-external-dns", "aws:iam/rolePolicy:RolePolicy")
    granted = [a for d in documents(role.inputs) for a in actions(d)]
    assert "route53:ChangeResourceRecordSets" in granted
    assert unknown(iter(granted)) == set()


def test_every_action_granted_to_ci_exists() -> None:
    for role in ci_roles():
        granted = [
            *actions(permission_policy("123456789012", "state", "arn:aws:kms:::key/k", role)),
            *actions(trust_policy("123456789012", "acme/platform", role)),
        ]
        assert unknown(iter(granted)) == set(), role
