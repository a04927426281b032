"""Roles assumable by Kubernetes service accounts trust exactly one subject."""

from policies.lib import MANDATORY, Subject, as_list, resource_rule, statements


def check(r: Subject) -> list[str]:
    out = []
    for statement in statements(r.props.get("assumeRolePolicy")):
        if "sts:AssumeRoleWithWebIdentity" not in as_list(statement.get("Action")):
            continue
        condition = statement.get("Condition") or {}
        equals = condition.get("StringEquals") or {}
        subjects = [v for k, v in equals.items() if k.endswith(":sub")]
        if "StringLike" in condition or len(subjects) != 1:
            out.append(f"role {r.name} trusts web identities without one exact subject")
            continue
        subject = as_list(subjects[0])
        if len(subject) != 1 or "*" in str(subject[0]):
            out.append(f"role {r.name} trusts {subject} (not exactly one service account)")
    return out


POLICY = resource_rule(
    "aws-iam-role-web-identity-scoped",
    "IRSA trust policies name exactly one system:serviceaccount:<ns>:<name> (StringEquals).",
    MANDATORY,
    ("aws:iam/role:Role",),
    check,
    "create the role with components.iam_roles.service_account_role",
)
