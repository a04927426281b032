"""A small IAM policy evaluator for tests: does an identity policy allow one API call?

It implements what the project's policies use: ``Action``/``Resource`` wildcards, and the
condition operators ``StringEquals``, ``StringEqualsIfExists``, ``StringLike`` and ``Null``
(all keys of a block must hold; a list of values means any of them). A call names every
resource it authorizes against (``CreateSecurityGroup``: the new group and the VPC), and all
of them must be allowed, as in AWS. Explicit denies are not modelled (the project writes none).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any


@dataclass(frozen=True)
class Call:
    action: str
    resources: Sequence[str]
    context: Mapping[str, str | Sequence[str]] = field(default_factory=dict)
    """Condition keys of the request (``aws:RequestTag/k``, ``ec2:CreateAction``, ...) and
    ``aws:ResourceTag/k`` (the same for every existing resource of the call)."""
    created: Sequence[str] = ()
    """Resources the call creates. ``aws:RequestTag/*`` keys are evaluated on these only, and
    ``aws:ResourceTag/*`` keys on the others (as EC2 authorizes ``CreateSecurityGroup``
    against the new group and, without the request's tags, the existing VPC)."""

    def context_for(self, resource: str) -> Mapping[str, str | Sequence[str]]:
        if not self.created:
            return self.context
        new = resource in self.created
        prefix = "aws:ResourceTag/" if new else "aws:RequestTag/"
        return {k: v for k, v in self.context.items() if not k.startswith(prefix)}


def _list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]


def _condition_holds(
    condition: Mapping[str, Mapping[str, Any]], context: Mapping[str, Any]
) -> bool:
    for operator, keys in condition.items():
        for key, expected in keys.items():
            present = key in context
            actual = _list(context.get(key))
            wanted = [str(v) for v in _list(expected)]
            if operator == "Null":
                if (wanted == ["true"]) == present:
                    return False
            elif operator == "StringEqualsIfExists":
                if present and not any(a in wanted for a in actual):
                    return False
            elif operator == "StringEquals":
                if not present or not any(a in wanted for a in actual):
                    return False
            elif operator == "StringLike":
                if not present or not any(fnmatchcase(a, w) for a in actual for w in wanted):
                    return False
            else:
                raise NotImplementedError(operator)
    return True


def _statement_allows(statement: Mapping[str, Any], call: Call, resource: str) -> bool:
    if statement.get("Effect") != "Allow":
        return False
    actions = [a.lower() for a in _list(statement.get("Action", []))]
    if not any(fnmatchcase(call.action.lower(), a) for a in actions):
        return False
    if not any(fnmatchcase(resource, r) for r in _list(statement.get("Resource", []))):
        return False
    return _condition_holds(statement.get("Condition", {}), call.context_for(resource))


def allows(statements: Iterable[Mapping[str, Any]], call: Call) -> bool:
    """Every resource of the call is allowed by some statement."""
    statements = list(statements)
    return all(any(_statement_allows(s, call, r) for s in statements) for r in call.resources)


def actions(statements: Iterable[Mapping[str, Any]]) -> set[str]:
    """Every action the statements name (no wildcards expected)."""
    return {a for s in statements for a in _list(s.get("Action", []))}
