"""IAM policies name their actions: no ``*`` or ``service:*`` in Allow statements."""

from typing import Any

from policies.lib import MANDATORY, Subject, as_list, resource_rule, statements

READ_PREFIXES = ("Describe", "Get", "List")


def wildcard_actions(document: Any) -> list[str]:
    found = []
    for statement in statements(document):
        if statement.get("Effect") != "Allow":
            continue
        for action in as_list(statement.get("Action")):
            verb = str(action).split(":", 1)[-1]
            if (
                action == "*"
                or verb == "*"
                or (verb.endswith("*") and not verb.startswith(READ_PREFIXES))
            ):
                found.append(str(action))
    return found


def check(r: Subject) -> list[str]:
    documents = [r.props.get("policy")]
    documents += [p.get("policy") for p in r.props.get("inlinePolicies") or []]
    found = [a for d in documents if d for a in wildcard_actions(d)]
    if found:
        return [f"IAM policy {r.name} allows wildcard actions {sorted(set(found))}"]
    return []


POLICY = resource_rule(
    "aws-iam-policy-no-wildcard-actions",
    "IAM policies list the actions they allow; wildcards only for read-only verbs.",
    MANDATORY,
    (
        "aws:iam/policy:Policy",
        "aws:iam/rolePolicy:RolePolicy",
        "aws:iam/userPolicy:UserPolicy",
        "aws:iam/groupPolicy:GroupPolicy",
        "aws:iam/role:Role",
    ),
    check,
    "name each action (e.g. s3:PutObject) and scope Resource to the ARNs needed",
)
