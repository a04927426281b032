"""Backup vaults use a customer-managed key."""

from policies.lib import MANDATORY, Subject, resource_rule


def check(r: Subject) -> list[str]:
    if not r.props.get("kmsKeyArn"):
        return [f"backup vault {r.name} uses the default key"]
    return []


POLICY = resource_rule(
    "aws-backup-vault-encrypted",
    "AWS Backup vaults encrypt recovery points with a customer-managed key.",
    MANDATORY,
    ("aws:backup/vault:Vault",),
    check,
    "set kms_key_arn to a components.kms key",
)
