"""ElastiCache encrypts in transit (with AUTH) and at rest."""

from policies.lib import MANDATORY, Subject, resource_rule


def check(r: Subject) -> list[str]:
    if r.type == "aws:elasticache/serverlessCache:ServerlessCache":
        # always TLS and encrypted at rest; without a user group anyone in reach may connect
        if not r.props.get("userGroupId"):
            return [f"serverless cache {r.name} has no RBAC user group (no authentication)"]
        return []
    if r.type == "aws:elasticache/cluster:Cluster":
        if r.props.get("engine") == "memcached":
            return [f"cache cluster {r.name} runs memcached (no AUTH, no at-rest encryption)"]
        if not r.props.get("replicationGroupId"):
            # a standalone cluster cannot encrypt at rest nor take an AUTH token
            return [f"cache cluster {r.name} is standalone: use a replication group"]
        return []  # a member of a replication group, judged there
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
    "ElastiCache: TLS required with AUTH/RBAC, at-rest encryption on (replication groups; "
    "standalone and memcached clusters refused; serverless caches need a user group).",
    MANDATORY,
    (
        "aws:elasticache/replicationGroup:ReplicationGroup",
        "aws:elasticache/cluster:Cluster",
        "aws:elasticache/serverlessCache:ServerlessCache",
    ),
    check,
    "set transit_encryption_enabled, transit_encryption_mode='required', auth_token "
    "and at_rest_encryption_enabled with kms_key_id",
)
