"""ElastiCache encrypts in transit (with AUTH) and at rest."""

from policies.lib import MANDATORY, Subject, resource_rule


def check(r: Subject) -> list[str]:
    p, out = r.props, []
    if p.get("transitEncryptionEnabled") is not True:
        out.append(f"replication group {r.name} accepts unencrypted connections")
    elif p.get("transitEncryptionMode") not in (None, "required"):
        out.append(f"replication group {r.name} allows plaintext (transit mode preferred)")
    if p.get("atRestEncryptionEnabled") is not True:
        out.append(f"replication group {r.name} stores data unencrypted")
    if not p.get("authToken") and not p.get("userGroupIds"):
        out.append(f"replication group {r.name} has no AUTH token or RBAC user group")
    return out


POLICY = resource_rule(
    "aws-elasticache-replication-group-encrypted",
    "ElastiCache: TLS required with AUTH/RBAC, at-rest encryption on.",
    MANDATORY,
    ("aws:elasticache/replicationGroup:ReplicationGroup",),
    check,
    "set transit_encryption_enabled, transit_encryption_mode='required', auth_token "
    "and at_rest_encryption_enabled with kms_key_id",
)
