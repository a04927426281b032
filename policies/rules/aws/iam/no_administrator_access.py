"""No principal is given AdministratorAccess (or another full-admin AWS managed policy)."""

from policies.lib import MANDATORY, Subject, resource_rule

ADMIN_POLICIES = frozenset(
    {"arn:aws:iam::aws:policy/AdministratorAccess", "arn:aws:iam::aws:policy/IAMFullAccess"}
)


def check(r: Subject) -> list[str]:
    arns = [
        r.props.get("policyArn"),
        *(r.props.get("managedPolicyArns") or []),
        *(r.props.get("policyArns") or []),  # the *PolicyAttachmentsExclusive resources
    ]
    # any partition: arn:aws:..., arn:aws-us-gov:..., arn:aws-cn:...
    names = {a.split(":", 4)[-1] for a in ADMIN_POLICIES}
    granted = sorted(a for a in arns if isinstance(a, str) and a.split(":", 4)[-1] in names)
    if granted:
        return [f"{r.name} attaches {', '.join(granted)}"]
    return []


POLICY = resource_rule(
    "aws-iam-no-administrator-access",
    "No role, user or group gets AdministratorAccess or IAMFullAccess.",
    MANDATORY,
    (
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        "aws:iam/userPolicyAttachment:UserPolicyAttachment",
        "aws:iam/groupPolicyAttachment:GroupPolicyAttachment",
        "aws:iam/policyAttachment:PolicyAttachment",
        "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive",
        "aws:iam/userPolicyAttachmentsExclusive:UserPolicyAttachmentsExclusive",
        "aws:iam/groupPolicyAttachmentsExclusive:GroupPolicyAttachmentsExclusive",
        "aws:iam/role:Role",
    ),
    check,
    "write a policy that names the actions and resources the principal needs",
)
