"""In protected environments a database cannot be deleted without a final snapshot."""

from policies.lib import MANDATORY, Subject, resource_rule


def check(r: Subject) -> list[str]:
    if r.props.get("replicateSourceDb") or not r.config.get("protectedEnvironment", True):
        return []
    out = []
    if r.props.get("deletionProtection") is not True:
        out.append(f"database {r.name} has no deletion protection")
    if r.props.get("skipFinalSnapshot") is True or not r.props.get("finalSnapshotIdentifier"):
        out.append(f"database {r.name} would be deleted without a final snapshot")
    return out


POLICY = resource_rule(
    "aws-rds-instance-deletion-protection",
    "Protected environments: deletion protection on and a final snapshot on delete.",
    MANDATORY,
    ("aws:rds/instance:Instance", "aws:rds/cluster:Cluster"),
    check,
    "set deletion_protection=True, skip_final_snapshot=False and final_snapshot_identifier",
    config={"protectedEnvironment": {"type": "boolean", "default": True}},
)
