"""RDS storage must be encrypted (with a customer-managed key)."""

from policies.lib import MANDATORY, Subject, resource_rule


def _what(r: Subject) -> str:
    return "Aurora cluster" if r.type == "aws:rds/cluster:Cluster" else "RDS instance"


def check(r: Subject) -> list[str]:
    if r.props.get("replicateSourceDb"):
        return []  # replicas inherit the source's encryption
    out = []
    if r.props.get("storageEncrypted") is not True:
        out.append(f"{_what(r)} {r.name} stores data unencrypted")
    elif not r.props.get("kmsKeyId"):
        out.append(f"{_what(r)} {r.name} uses the AWS-managed key, not a project key")
    return out


POLICY = resource_rule(
    "aws-rds-instance-storage-encrypted",
    "RDS instances and Aurora clusters encrypt storage with a customer-managed KMS key.",
    MANDATORY,
    ("aws:rds/instance:Instance", "aws:rds/cluster:Cluster"),
    check,
    "set storage_encrypted=True and kms_key_id to a components.kms key",
)
