"""Customer-managed keys rotate."""

from policies.lib import MANDATORY, Subject, resource_rule


def check(r: Subject) -> list[str]:
    if r.props.get("customerMasterKeySpec", "SYMMETRIC_DEFAULT") != "SYMMETRIC_DEFAULT":
        return []  # rotation applies to symmetric keys
    if r.props.get("enableKeyRotation") is not True:
        return [f"KMS key {r.name} does not rotate"]
    return []


POLICY = resource_rule(
    "aws-kms-key-rotation-enabled",
    "Symmetric KMS keys have automatic rotation enabled.",
    MANDATORY,
    ("aws:kms/key:Key",),
    check,
    "create keys with components.kms.customer_managed_key (enable_key_rotation=True)",
)
