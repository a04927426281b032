"""Small resource builders several components use the same way."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s


def service_security_group(
    name: str,
    *,
    vpc_id: pulumi.Input[str],
    port: int,
    sources: Sequence[pulumi.Input[str]],
    label: str,
    parent: pulumi.Resource,
) -> aws.ec2.SecurityGroup:
    """A security group that admits TCP ``port`` from the given security groups only (one
    ingress rule resource each; no CIDR, no egress rules needed by a managed data store)."""
    child = pulumi.ResourceOptions(parent=parent)
    group = aws.ec2.SecurityGroup(
        f"{name}-sg",
        vpc_id=vpc_id,
        description=f"{label}: {port} from the application nodes only",
        tags={"Name": label},
        opts=child,
    )
    for index, source in enumerate(sources):
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-from-{index}",
            security_group_id=group.id,
            referenced_security_group_id=source,
            ip_protocol="tcp",
            from_port=port,
            to_port=port,
            description=f"{label} from application nodes",
            opts=child,
        )
    return group


def external_secret(
    name: str,
    *,
    namespace: str,
    secret: str,
    data: Mapping[str, tuple[pulumi.Input[str], str]],
    store: str,
    opts: pulumi.ResourceOptions,
) -> k8s.apiextensions.CustomResource:
    """An ExternalSecret making Secret ``secret`` from Secrets Manager: ``data`` maps each key
    of the Kubernetes Secret to (secret ARN or name, JSON property)."""
    return k8s.apiextensions.CustomResource(
        name,
        api_version="external-secrets.io/v1",
        kind="ExternalSecret",
        metadata={"name": secret, "namespace": namespace},
        spec={
            "refreshInterval": "1h",
            "secretStoreRef": {"kind": "ClusterSecretStore", "name": store},
            "target": {"name": secret, "creationPolicy": "Owner"},
            "data": [
                {"secretKey": key, "remoteRef": {"key": remote, "property": prop}}
                for key, (remote, prop) in data.items()
            ],
        },
        opts=opts,
    )
