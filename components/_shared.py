"""Small resource builders several components use the same way."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

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


def data_store_network(
    name: str,
    subnet_group: type[aws.rds.SubnetGroup] | type[aws.elasticache.SubnetGroup],
    *,
    identifier: str,
    vpc_id: pulumi.Input[str],
    subnet_ids: pulumi.Input[Sequence[str]],
    port: int,
    sources: Sequence[pulumi.Input[str]],
    label: str,
    parent: pulumi.Resource,
) -> tuple[aws.rds.SubnetGroup | aws.elasticache.SubnetGroup, aws.ec2.SecurityGroup]:
    """A managed data store's subnet group (the database subnets) and a security group
    admitting ``port`` from ``sources`` only."""
    subnets = subnet_group(
        f"{name}-subnets",
        name=f"{identifier}-subnets",
        description=f"database subnets of {identifier}",
        subnet_ids=subnet_ids,
        opts=pulumi.ResourceOptions(parent=parent),
    )
    group = service_security_group(
        name, vpc_id=vpc_id, port=port, sources=sources, label=label, parent=parent
    )
    return subnets, group


def pod_security_namespace(
    name: str,
    namespace: str,
    *,
    enforce: str,
    audit: str,
    parent: pulumi.Resource,
    provider: pulumi.ProviderResource,
) -> k8s.core.v1.Namespace:
    """A namespace with its Pod Security level enforced, and a stricter one audited/warned."""
    return k8s.core.v1.Namespace(
        f"{name}-namespace",
        metadata={
            "name": namespace,
            "labels": {
                "pod-security.kubernetes.io/enforce": enforce,
                "pod-security.kubernetes.io/audit": audit,
                "pod-security.kubernetes.io/warn": audit,
            },
        },
        opts=pulumi.ResourceOptions(parent=parent, provider=provider),
    )


def chart_release(
    name: str,
    chart_key: str,
    *,
    release: str,
    namespace: str,
    values: Mapping[str, Any],
    opts: pulumi.ResourceOptions,
    allow_null_values: bool = False,
) -> k8s.helm.v3.Release:
    """A Helm release of a chart pinned in ``versions.HELM_CHARTS``: atomic, cleaned up on
    failure, ten minutes to become ready."""
    from . import versions

    chart = versions.HELM_CHARTS[chart_key]
    return k8s.helm.v3.Release(
        name,
        name=release,
        chart=chart.chart,
        version=chart.version,
        repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=chart.repository),
        namespace=namespace,
        values=dict(values),
        allow_null_values=allow_null_values or None,
        atomic=True,
        cleanup_on_fail=True,
        timeout=600,
        opts=opts,
    )


def external_secret(
    name: str,
    *,
    namespace: str,
    secret: str,
    data: Mapping[str, tuple[pulumi.Input[str], str | None]],
    store: str,
    opts: pulumi.ResourceOptions,
    refresh_interval: str = "1h",
    annotations: Mapping[str, pulumi.Input[str]] | None = None,
) -> k8s.apiextensions.CustomResource:
    """An ExternalSecret making Secret ``secret`` from Secrets Manager: ``data`` maps each key
    of the Kubernetes Secret to (secret ARN or name, JSON property; None: the whole string)."""
    return k8s.apiextensions.CustomResource(
        name,
        api_version="external-secrets.io/v1",
        kind="ExternalSecret",
        metadata={"name": secret, "namespace": namespace, "annotations": dict(annotations or {})},
        spec={
            "refreshInterval": refresh_interval,
            "secretStoreRef": {"kind": "ClusterSecretStore", "name": store},
            "target": {"name": secret, "creationPolicy": "Owner"},
            "data": [
                {
                    "secretKey": key,
                    "remoteRef": {"key": remote, **({"property": prop} if prop else {})},
                }
                for key, (remote, prop) in data.items()
            ],
        },
        opts=opts,
    )


RDS_CA_VOLUME = "rds-ca"
RDS_CA_DIR = "/etc/rds-ca"
RDS_CA_FILE = f"{RDS_CA_DIR}/bundle.pem"
"""Where every pod that connects to PostgreSQL with ``sslmode=verify-full`` finds the RDS CA
bundle (``PGSSLROOTCERT``)."""


def rds_ca_bundle_url(region: str) -> str:
    """AWS's regional RDS trust store (the roots of every RDS certificate authority)."""
    return f"https://truststore.pki.rds.amazonaws.com/{region}/{region}-bundle.pem"


def rds_ca_init_container(region: str, image: str, security_context: dict[str, Any]) -> dict:
    """An init container that downloads the regional RDS CA bundle over HTTPS from AWS's trust
    store into a shared in-memory volume, failing the pod when it cannot (a pod that cannot
    verify the database never starts with a weaker mode). libpq reads it via
    ``PGSSLROOTCERT``; with a non-root UID and no home directory it finds no root otherwise."""
    script = (
        "import sys, urllib.request\n"
        f"data = urllib.request.urlopen({rds_ca_bundle_url(region)!r}, timeout=30).read()\n"
        "assert data.count(b'BEGIN CERTIFICATE') > 0, 'no certificate in the RDS bundle'\n"
        f"open({RDS_CA_FILE!r}, 'wb').write(data)\n"
    )
    return {
        "name": "rds-ca-bundle",
        "image": image,
        "command": ["python3", "-c", script],
        "securityContext": security_context,
        "resources": {
            "requests": {"cpu": "10m", "memory": "32Mi", "ephemeral-storage": "16Mi"},
            "limits": {"cpu": "100m", "memory": "64Mi", "ephemeral-storage": "64Mi"},
        },
        "volumeMounts": [{"name": RDS_CA_VOLUME, "mountPath": RDS_CA_DIR}],
    }


def rds_ca_volume() -> dict[str, Any]:
    return {"name": RDS_CA_VOLUME, "emptyDir": {"medium": "Memory", "sizeLimit": "1Mi"}}


def cluster_secret_store(
    resource_name: str,
    *,
    store: str,
    region: str,
    namespaces: Sequence[str],
    opts: pulumi.ResourceOptions,
    role_arn: pulumi.Input[str] | None = None,
) -> k8s.apiextensions.CustomResource:
    """A ClusterSecretStore for Secrets Manager through external-secrets' IRSA identity,
    serving only ``namespaces`` (without conditions it serves every namespace); with
    ``role_arn`` it reads through that role, assumed from the IRSA one."""
    aws_provider: dict[str, Any] = {
        "service": "SecretsManager",
        "region": region,
        "auth": {
            "jwt": {
                "serviceAccountRef": {"name": "external-secrets", "namespace": "external-secrets"}
            }
        },
    }
    if role_arn is not None:
        aws_provider["role"] = role_arn
    return k8s.apiextensions.CustomResource(
        resource_name,
        api_version="external-secrets.io/v1",
        kind="ClusterSecretStore",
        metadata={"name": store},
        spec={
            "conditions": [{"namespaces": sorted(namespaces)}],
            "provider": {"aws": aws_provider},
        },
        opts=opts,
    )
