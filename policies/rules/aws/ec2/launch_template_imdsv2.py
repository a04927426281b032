"""Launch templates require IMDSv2 tokens."""

from policies.lib import MANDATORY, Subject, resource_rule


def _what(r: Subject) -> str:
    return "instance" if r.type == "aws:ec2/instance:Instance" else "launch template"


def check(r: Subject) -> list[str]:
    if r.type == "aws:ec2/instance:Instance" and r.props.get("launchTemplate"):
        return []  # the launch template's own metadata options apply (checked there)
    meta = r.props.get("metadataOptions") or {}
    out = []
    if meta.get("httpTokens") != "required":
        out.append(f"{_what(r)} {r.name} allows IMDSv1")
    if int(meta.get("httpPutResponseHopLimit") or 1) > 2:
        out.append(f"{_what(r)} {r.name} lets the metadata token travel > 2 hops")
    return out


POLICY = resource_rule(
    "aws-ec2-launch-template-imdsv2",
    "EC2 instances and launch templates require IMDSv2 (hop limit <= 2).",
    MANDATORY,
    ("aws:ec2/launchTemplate:LaunchTemplate", "aws:ec2/instance:Instance"),
    check,
    "set metadata_options http_tokens='required', http_put_response_hop_limit=2",
)
