"""LogShipping: every container's stdout/stderr off the node, into CloudWatch Logs.

Fluent Bit (chart ``fluent-bit``, a DaemonSet on every node) tails the container logs of the
namespaces it is given (``/var/log/containers/<pod>_<namespace>_<container>-<id>.log``), tags
each record ``kube.<namespace>.<pod>.<container>.<id>``, adds the Kubernetes metadata (pod,
labels, container; the ``kubernetes`` filter, reading the tag back with a parser) and sends
each namespace to its own log group ``/<env>/containers/<namespace>``, one stream per pod and
container. The groups are made here (KMS-encrypted with a key of their own, retention from
config); Fluent Bit may not create any (``auto_create_group false``): its role may only create
streams in and put events into exactly these groups. Grafana reads them through its CloudWatch
data source.

Why CloudWatch Logs and not Loki on S3: at the volumes in the stack files (a few GiB a day) the
ingestion price ($0.50/GiB) is below the cost of running Loki's write, read and backend
replicas with their volumes, and nothing more runs in the cluster to be paged for. The plan
report prices it from ``cost.containerLogGibPerDay``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from ._shared import chart_release, pod_security_namespace
from ._util import Statement
from .iam_roles import OidcProvider, service_account_role
from .kms import customer_managed_key
from .settings import LogRetentionDays, Settings

NAMESPACE = "logging"
SERVICE_ACCOUNT = "fluent-bit"
TAG_PREFIX = "kube."
TAG_REGEX = (
    r"(?<pod_name>[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)"
    r"_(?<namespace_name>[^_]+)_(?<container_name>.+)-(?<container_id>[a-z0-9]{64})\.log$"
)
"""Fluent Bit's own example for custom tags (Kubernetes filter docs, "Custom tags")."""
TAG_PARSER = "kube_custom_tag"
TAG_PARSER_REGEX = (
    r"^(?<namespace_name>[^_.]+)\."
    r"(?<pod_name>[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)\."
    r"(?<container_name>.+)\.(?<docker_id>[a-z0-9]{64})$"
)
"""Reads the tag back into the Kubernetes filter's fields."""
STATE_DIR = "/var/fluent-bit/state"


class LoggingSettings(Settings):
    """Container logs; the stack file's ``logging`` section."""

    enabled: bool = True
    """Ship every container's stdout/stderr to CloudWatch Logs."""

    retention_days: LogRetentionDays = 30
    """Days the container log groups keep events."""


def log_group_name(environment: str, namespace: str) -> str:
    return f"/{environment}/containers/{namespace}"


def fluent_bit_config(environment: str, region: str, namespaces: Sequence[str]) -> dict[str, str]:
    """The chart's ``config`` sections: inputs for exactly these namespaces, the Kubernetes
    metadata, one CloudWatch output per namespace."""
    paths = ",".join(f"/var/log/containers/*_{ns}_*.log" for ns in sorted(namespaces))
    inputs = f"""[INPUT]
    Name              tail
    Path              {paths}
    multiline.parser  docker, cri
    Tag               {TAG_PREFIX}<namespace_name>.<pod_name>.<container_name>.<container_id>
    Tag_Regex         {TAG_REGEX}
    DB                {STATE_DIR}/tail.db
    Buffer_Max_Size   256k
    Mem_Buf_Limit     50MB
    storage.type      filesystem
    Skip_Long_Lines   On
    Refresh_Interval  10
"""
    filters = f"""[FILTER]
    Name                 kubernetes
    Match                {TAG_PREFIX}*
    Kube_Tag_Prefix      {TAG_PREFIX}
    Regex_Parser         {TAG_PARSER}
    Merge_Log            On
    Keep_Log             Off
    K8S-Logging.Parser   On
    K8S-Logging.Exclude  On
    Labels               On
    Annotations          Off
    Buffer_Size          256k
"""
    outputs = "\n".join(
        f"""[OUTPUT]
    Name                 cloudwatch_logs
    Match                {TAG_PREFIX}{ns}.*
    region               {region}
    log_group_name       {log_group_name(environment, ns)}
    log_stream_prefix    {ns}.
    log_stream_template  $kubernetes['pod_name'].$kubernetes['container_name']
    auto_create_group    false
    retry_limit          5
"""
        for ns in sorted(namespaces)
    )
    parsers = f"""[PARSER]
    Name    {TAG_PARSER}
    Format  regex
    Regex   {TAG_PARSER_REGEX}
"""
    service = f"""[SERVICE]
    Daemon                 Off
    Flush                  1
    Log_Level              info
    Parsers_File           /fluent-bit/etc/parsers.conf
    Parsers_File           /fluent-bit/etc/conf/custom_parsers.conf
    HTTP_Server            On
    HTTP_Listen            0.0.0.0
    HTTP_Port              2020
    Health_Check           On
    storage.path           {STATE_DIR}/buffer/
    storage.sync           normal
    storage.backlog.mem_limit  16M
"""
    return {
        "service": service,
        "inputs": inputs,
        "filters": filters,
        "outputs": outputs,
        "customParsers": parsers,
    }


def shipper_statements(group_arns: Sequence[str]) -> list[Statement]:
    """Streams and events in exactly these groups (no group creation, no other group)."""
    return [
        {
            "Sid": "WriteContainerLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": sorted(f"{arn}:*" for arn in group_arns),
        }
    ]


@dataclass(frozen=True, kw_only=True)
class LogShippingArgs:
    environment: str
    region: str
    k8s_provider: k8s.Provider
    oidc: OidcProvider
    namespaces: Sequence[str]
    """Every namespace whose containers' logs are shipped (a log group each)."""
    settings: LoggingSettings
    ready: Sequence[pulumi.Resource] = field(default_factory=list)
    protect: bool = True
    """``protect`` on the key (and ``retain_on_delete``): the groups stay readable."""


class LogShipping(pulumi.ComponentResource):
    """Fluent Bit and the per-namespace log groups it writes to."""

    log_groups: dict[str, aws.cloudwatch.LogGroup]

    def __init__(
        self, name: str, args: LogShippingArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("platform:components:LogShipping", name, None, opts)
        env, region = args.environment, args.region
        child = pulumi.ResourceOptions(parent=self)
        key = customer_managed_key(
            f"{name}-key",
            f"container logs of {env}",
            parent=self,
            protect=args.protect,
            service_statements=lambda account: [_logs_may_use_the_key(region, account, env)],
        )
        self.log_groups = {
            ns: aws.cloudwatch.LogGroup(
                f"{name}-{ns}",
                name=log_group_name(env, ns),
                retention_in_days=args.settings.retention_days,
                kms_key_id=key.arn,
                opts=child,
            )
            for ns in sorted(args.namespaces)
        }
        role = service_account_role(
            f"{name}-fluent-bit",
            oidc=args.oidc,
            namespace=NAMESPACE,
            service_account=SERVICE_ACCOUNT,
            statements=pulumi.Output.all(*(g.arn for g in self.log_groups.values())).apply(
                shipper_statements
            ),
            parent=self,
        )
        # Fluent Bit reads the nodes' /var/log (hostPath): baseline forbids it
        namespace = pod_security_namespace(
            name, NAMESPACE, enforce="privileged", audit="baseline", parent=self,
            provider=args.k8s_provider,
        )  # fmt: skip
        self.release = chart_release(
            f"{name}-fluent-bit",
            "fluent-bit",
            release="fluent-bit",
            namespace=NAMESPACE,
            values=fluent_bit_values(env, region, args.namespaces, role.arn),
            opts=pulumi.ResourceOptions(
                parent=self,
                provider=args.k8s_provider,
                depends_on=[namespace, *self.log_groups.values(), *args.ready],
            ),
        )
        self.register_outputs({"logGroups": {ns: g.name for ns, g in self.log_groups.items()}})


def _logs_may_use_the_key(region: str, account: str, environment: str) -> Statement:
    """CloudWatch Logs encrypts the groups with the key, for these groups only (CloudWatch
    Logs User Guide, "Encrypt log data in CloudWatch Logs using AWS KMS")."""
    return {
        "Sid": "CloudWatchLogsEncryptTheContainerLogGroups",
        "Effect": "Allow",
        "Principal": {"Service": f"logs.{region}.amazonaws.com"},
        "Action": [
            "kms:Encrypt",
            "kms:Decrypt",
            "kms:ReEncryptFrom",
            "kms:ReEncryptTo",
            "kms:GenerateDataKey",
            "kms:GenerateDataKeyWithoutPlaintext",
            "kms:DescribeKey",
        ],
        "Resource": "*",
        "Condition": {
            "ArnLike": {
                "kms:EncryptionContext:aws:logs:arn": (
                    f"arn:aws:logs:{region}:{account}:log-group:/{environment}/containers/*"
                )
            }
        },
    }


def fluent_bit_values(
    environment: str, region: str, namespaces: Sequence[str], role_arn: pulumi.Input[str]
) -> dict[str, Any]:
    return {
        "testFramework": {"enabled": False},  # a busybox:latest test pod
        "serviceAccount": {
            "create": True,
            "name": SERVICE_ACCOUNT,
            "annotations": {"eks.amazonaws.com/role-arn": role_arn},
        },
        "config": fluent_bit_config(environment, region, namespaces),
        # every node, tainted or not: no container's logs are left behind
        "tolerations": [{"operator": "Exists"}],
        "priorityClassName": "system-node-critical",
        "resources": {
            "requests": {"cpu": "50m", "memory": "64Mi"},
            "limits": {"memory": "256Mi"},
        },
        # root to read the nodes' root-owned logs; nothing else
        "securityContext": {
            "readOnlyRootFilesystem": True,
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
        },
        # where the tail input keeps its read offsets across restarts (no log read twice)
        "daemonSetVolumes": [
            {"name": "varlog", "hostPath": {"path": "/var/log"}},
            {"name": "state", "hostPath": {"path": STATE_DIR, "type": "DirectoryOrCreate"}},
        ],
        "daemonSetVolumeMounts": [
            {"name": "varlog", "mountPath": "/var/log", "readOnly": True},
            {"name": "state", "mountPath": STATE_DIR},
        ],
    }
