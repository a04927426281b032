"""Automated backups (PITR) are kept at least a week."""

from policies.lib import MANDATORY, Subject, resource_rule

MINIMUM_DAYS = 7


def check(r: Subject) -> list[str]:
    if r.props.get("replicateSourceDb"):
        return []
    days = int(r.props.get("backupRetentionPeriod") or 0)
    minimum = int(r.config.get("minimumDays", MINIMUM_DAYS))
    if days < minimum:
        return [f"database {r.name} keeps backups {days} days (< {minimum})"]
    return []


POLICY = resource_rule(
    "aws-rds-instance-backup-retention",
    "RDS and Aurora automated backups are kept for at least 7 days.",
    MANDATORY,
    ("aws:rds/instance:Instance", "aws:rds/cluster:Cluster"),
    check,
    "set backup_retention_period to 7-35 days (database.backupRetentionDays)",
    config={"minimumDays": {"type": "integer", "default": MINIMUM_DAYS}},
)
