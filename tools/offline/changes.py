"""What a config change does to a live stack: the plan before and after, compared.

Two offline plans of the same stack (before and after a change) are matched by URN. A resource
only in the second is created, only in the first deleted; in both, it is updated when its inputs
differ, and **replaced** when a changed input is one the provider cannot update in place
(:data:`REPLACE_ON`, the "forces new resource" arguments of the Terraform AWS provider that
pulumi-aws bridges, and the immutable fields of Kubernetes objects) or its provider changes.
Replacing or deleting a stateful or slow resource (:data:`GUARDED`) is what a reviewer must see
first: :func:`compare` marks it, and ``uv run plan <stack> --against <git ref>`` prints it first.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from policies.graph import Resource, ResourceGraph

Action = Literal["create", "update", "replace", "delete"]

REPLACE_ON: dict[str, frozenset[str]] = {
    t: frozenset(keys)
    for t, keys in {
        "aws:rds/instance:Instance": (
            "identifier", "identifierPrefix", "engine", "dbName", "kmsKeyId", "storageEncrypted",
            "username", "availabilityZone", "characterSetName", "ncharCharacterSetName",
            "timezone", "snapshotIdentifier",
        ),
        "aws:rds/parameterGroup:ParameterGroup": ("name", "namePrefix", "family", "description"),
        "aws:rds/subnetGroup:SubnetGroup": ("name", "namePrefix"),
        "aws:elasticache/replicationGroup:ReplicationGroup": (
            "replicationGroupId", "atRestEncryptionEnabled", "kmsKeyId", "subnetGroupName",
            "port", "snapshotArns", "snapshotName",
        ),
        "aws:elasticache/parameterGroup:ParameterGroup": ("name", "family", "description"),
        "aws:elasticache/subnetGroup:SubnetGroup": ("name",),
        "eks:index:Cluster": ("name", "kubernetesServiceIpAddressRange", "encryptionConfigKeyArn"),
        "aws:eks/nodeGroup:NodeGroup": (
            "clusterName", "nodeGroupName", "nodeGroupNamePrefix", "nodeRoleArn", "subnetIds",
            "amiType", "capacityType", "instanceTypes", "diskSize", "remoteAccess",
        ),
        "aws:eks/addon:Addon": ("clusterName", "addonName"),
        "aws:ec2/vpc:Vpc": ("cidrBlock", "instanceTenancy"),
        "aws:ec2/subnet:Subnet": ("vpcId", "cidrBlock", "availabilityZone", "availabilityZoneId"),
        "aws:ec2/securityGroup:SecurityGroup": ("name", "namePrefix", "description", "vpcId"),
        "aws:ec2/launchTemplate:LaunchTemplate": ("name", "namePrefix"),
        "aws:s3/bucket:Bucket": ("bucket", "bucketPrefix"),
        "aws:s3/bucketV2:BucketV2": ("bucket", "bucketPrefix"),
        "aws:kms/key:Key": ("customerMasterKeySpec", "keyUsage", "multiRegion"),
        "aws:backup/vault:Vault": ("name", "kmsKeyArn"),
        "aws:secretsmanager/secret:Secret": ("name", "namePrefix"),
        "aws:iam/role:Role": ("name", "namePrefix", "path"),
        "aws:cloudwatch/logGroup:LogGroup": ("name", "namePrefix"),
        "aws:codebuild/project:Project": ("name",),
        "random:index/randomPassword:RandomPassword": (
            "keepers", "length", "special", "upper", "lower", "numeric", "minSpecial",
            "overrideSpecial",
        ),
        "random:index/randomId:RandomId": ("keepers", "byteLength", "prefix"),
    }.items()
}  # fmt: skip
"""Arguments whose change replaces the resource (Terraform AWS provider docs, "Forces new
resource"; the random provider replaces on any argument)."""

GUARDED: frozenset[str] = frozenset(
    {
        "aws:rds/instance:Instance",
        "aws:elasticache/replicationGroup:ReplicationGroup",
        "eks:index:Cluster",
        "aws:eks/nodeGroup:NodeGroup",
        "aws:s3/bucket:Bucket",
        "aws:s3/bucketV2:BucketV2",
        "aws:backup/vault:Vault",
        "aws:kms/key:Key",
        "aws:secretsmanager/secret:Secret",
        "aws:ec2/vpc:Vpc",
        "random:index/randomPassword:RandomPassword",
    }
)
"""Stateful (data, keys, credentials) or slow (cluster, node groups, VPC) resources: replacing
or deleting one is never routine."""


@dataclass(frozen=True)
class Change:
    action: Action
    urn: str
    type: str
    name: str
    keys: tuple[str, ...] = ()
    """Changed inputs (top-level wire names); for a replacement, those that force it first."""
    protected: bool = False
    retained: bool = False
    """``retain_on_delete``: a delete only forgets it; it stays in the account."""

    @property
    def guarded(self) -> bool:
        return self.action in ("replace", "delete") and self.type in GUARDED


def _without(value: Any, path: list[str]) -> Any:
    """``value`` with the nested key ``path`` removed (for ``ignore_changes``)."""
    if not path or not isinstance(value, Mapping):
        return value
    head, *rest = path
    if head not in value:
        return value
    if not rest:
        return {k: v for k, v in value.items() if k != head}
    return {**value, head: _without(value[head], rest)}


def _effective(resource: Resource, ignore_changes: Iterable[str]) -> dict[str, Any]:
    inputs: dict[str, Any] = dict(resource.inputs)
    for ignored in ignore_changes:
        inputs = _without(inputs, ignored.split("."))
    return inputs


def _changed_keys(before: Resource, after: Resource) -> list[str]:
    # the new program's ignore_changes decides what the engine compares
    ignored = after.options.ignore_changes
    old, new = _effective(before, ignored), _effective(after, ignored)
    return sorted(
        k for k in set(old) | set(new)
        if json.dumps(old.get(k), sort_keys=True) != json.dumps(new.get(k), sort_keys=True)
    )  # fmt: skip


_PATH_TOKEN = re.compile(r'\["((?:[^"\\]|\\.)*)"\]|\[(\d+|\*)\]|([^.\[\]]+)')


def property_path(path: str) -> list[str | int | None]:
    """A Pulumi property path as keys: ``metadata.annotations["a/b"]`` -> ``metadata``,
    ``annotations``, ``a/b``; ``[0]`` an index; ``*`` (or ``[*]``) any key (None)."""
    tokens: list[str | int | None] = []
    for quoted, index, name in _PATH_TOKEN.findall(path):
        if quoted:
            tokens.append(re.sub(r"\\(.)", r"\1", quoted))  # \" and \\ as in a JSON string
        elif index:
            tokens.append(None if index == "*" else int(index))
        else:
            tokens.append(None if name == "*" else name)
    return tokens


def _values_at(value: Any, tokens: list[str | int | None], at: str = "") -> list[Any]:
    """The values under ``tokens``, each with where it is (a wildcard keeps the keys it took:
    a renamed key is a change)."""
    if not tokens:
        return [[at, value]]
    head, *rest = tokens
    children: list[tuple[str, Any]] = []
    if head is None:
        if isinstance(value, Mapping):
            children = [(f"{at}.{k}", value[k]) for k in sorted(value)]
        elif isinstance(value, list):
            children = [(f"{at}[{i}]", v) for i, v in enumerate(value)]
    elif isinstance(head, int):
        if isinstance(value, list) and len(value) > head:
            children = [(f"{at}[{head}]", value[head])]
    elif isinstance(value, Mapping) and head in value:
        children = [(f"{at}.{head}", value[head])]
    return [found for where, child in children for found in _values_at(child, rest, where)]


def _forces_replacement(before: Resource, after: Resource, keys: list[str]) -> list[str]:
    forcing = [k for k in keys if k in REPLACE_ON.get(after.type, frozenset())]
    # the engine replaces when something under a ``replace_on_changes`` path changed (in the
    # diff that ignore_changes already filtered)
    ignored = after.options.ignore_changes
    old, new = _effective(before, ignored), _effective(after, ignored)
    for path in after.options.replace_on_changes:
        tokens = property_path(path)
        if json.dumps(_values_at(old, tokens), sort_keys=True) != json.dumps(
            _values_at(new, tokens), sort_keys=True
        ):
            forcing.append(path)
    if after.type.startswith("kubernetes:"):
        old_meta = before.inputs.get("metadata") or {}
        new_meta = after.inputs.get("metadata") or {}
        for field in ("name", "namespace"):
            if old_meta.get(field) != new_meta.get(field):
                forcing.append(f"metadata.{field}")
        if after.type == "kubernetes:batch/v1:Job" and "spec" in keys:
            forcing.append("spec")  # a Job's pod template is immutable
    if (before.provider or "").split("::")[:-1] != (after.provider or "").split("::")[:-1]:
        forcing.append("provider")
    return forcing


def _tracked(resource: Resource) -> bool:
    """Custom resources, and remote components the engine manages as one (pulumi-eks)."""
    return resource.custom or resource.type in REPLACE_ON or resource.type in GUARDED


def compare(
    before: ResourceGraph | Iterable[Resource], after: ResourceGraph | Iterable[Resource]
) -> list[Change]:
    """Every change from ``before`` to ``after``, replacements and deletions first."""
    old = {r.urn: r for r in before if _tracked(r)}
    new = {r.urn: r for r in after if _tracked(r)}
    changes: list[Change] = []
    for urn, resource in new.items():
        if urn not in old:
            changes.append(Change("create", urn, resource.type, resource.name))
            continue
        keys = _changed_keys(old[urn], resource)
        if not keys and old[urn].provider == resource.provider:
            continue
        forcing = _forces_replacement(old[urn], resource, keys)
        if forcing:
            rest = [k for k in keys if k not in forcing]
            changes.append(Change("replace", urn, resource.type, resource.name,
                                  tuple(dict.fromkeys([*forcing, *rest])),
                                  old[urn].options.protect))  # fmt: skip
        else:
            changes.append(Change("update", urn, resource.type, resource.name, tuple(keys)))
    for urn, resource in old.items():
        if urn not in new:
            changes.append(Change("delete", urn, resource.type, resource.name, (),
                                  resource.options.protect,
                                  resource.options.retain_on_delete))  # fmt: skip
    order = {"replace": 0, "delete": 1, "update": 2, "create": 3}
    return sorted(changes, key=lambda c: (not c.guarded, order[c.action], c.name))


def render(changes: list[Change], *, color: bool = False) -> str:
    """Replacements and deletions first (red on a terminal), then updates and creations."""
    red, bold, reset = ("\033[31m", "\033[1m", "\033[0m") if color else ("", "", "")
    symbols = {"replace": "+-", "delete": "- ", "update": "~ ", "create": "+ "}
    lines = []
    for change in changes:
        note = "  [stateful or slow]" if change.guarded else ""
        if change.protected and change.action in ("replace", "delete"):
            note += "  [protected: pulumi up will refuse]"
        if change.retained and change.action == "delete":
            note += "  [retained: left in the account]"
        keys = f" ({', '.join(change.keys)})" if change.keys else ""
        line = (
            f"{symbols[change.action]} {change.action:<7} {change.name} [{change.type}]{keys}{note}"
        )
        if change.action in ("replace", "delete"):
            line = f"{red}{bold if change.guarded else ''}{line}{reset}"
        lines.append(line)
    counts = {a: sum(c.action == a for c in changes) for a in symbols}
    summary = ", ".join(f"{n} to {a}" for a, n in counts.items() if n) or "no changes"
    return "\n".join([*lines, summary]) + "\n"
