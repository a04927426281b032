"""RDS instances are never publicly accessible."""

from policies.lib import MANDATORY, Subject, resource_rule


def check(r: Subject) -> list[str]:
    if r.props.get("publiclyAccessible") is True:
        return [f"database instance {r.name} is publicly accessible"]
    return []


POLICY = resource_rule(
    "aws-rds-instance-not-public",
    "RDS and Aurora instances are reachable only inside the VPC.",
    MANDATORY,
    ("aws:rds/instance:Instance", "aws:rds/clusterInstance:ClusterInstance"),
    check,
    "set publicly_accessible=False and place it on the database subnets",
)
