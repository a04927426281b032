"""Stack config: the committed stacks validate; bad input stops the program before any
resource is registered, with one message naming the key path and what is allowed."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from environment.config import ConfigError, parse_stack_config
from environment.config.base import windows_overlap
from tests.conftest import run_stack_config, stack_config


def _with(stack: str, path: str, value: Any) -> dict[str, Any]:
    """The committed stack config with one key (``platform:network.cidr``) set or removed."""
    config = copy.deepcopy(stack_config(stack))
    key, *rest = path.split(".")
    if not rest:
        if value is _DELETE:
            config.pop(key)
        else:
            config[key] = value
        return config
    node = config.setdefault(key, {})
    for part in rest[:-1]:
        node = node.setdefault(part, {})
    if value is _DELETE:
        node.pop(rest[-1])
    else:
        node[rest[-1]] = value
    return config


_DELETE = object()
SECRETS: dict[str, str] = {}  # receiver secrets live in Secrets Manager, not in config

BAD_INPUTS = [
    # (id, stack, key path, value, expected fragments in the message)
    ("unknown-section", "staging", "platform:netwrk", {"cidr": "10.0.0.0/16"},
     ["platform:netwrk", "unknown key", "network"]),
    ("unknown-nested-key", "staging", "platform:network.natGateway", "single",
     ["platform:network.natGateway", "unknown key", "natGateways"]),
    ("cidr-does-not-parse", "staging", "platform:network.cidr", "10.0.0.0/33",
     ["platform:network.cidr", "not a valid IPv4 network"]),
    ("cidr-public-range", "staging", "platform:network.cidr", "8.8.0.0/16",
     ["platform:network.cidr", "not a private"]),
    ("cidr-too-small", "staging", "platform:network.cidr", "10.0.0.0/24",
     ["platform:network.cidr", "/16 to /20"]),
    ("cidr-overlaps-reserved", "production", "platform:network.reservedCidrs", ["10.10.128.0/17"],
     ["platform:network", "overlaps reservedCidrs"]),
    ("cidr-overlaps-service-cidr", "staging", "platform:cluster", {"serviceCidr": "10.20.0.0/16"},
     ["serviceCidr", "overlaps"]),
    ("az-count-too-high", "staging", "platform:network.azCount", 9,
     ["platform:network.azCount", "less than or equal to 6"]),
    ("az-count-too-low", "staging", "platform:network.azCount", 1,
     ["platform:network.azCount", "greater than or equal to 2"]),
    ("az-count-wrong-type", "staging", "platform:network.azCount", "three",
     ["platform:network.azCount", "valid integer"]),
    ("nat-layout-unknown", "staging", "platform:network.natGateways", "none",
     ["platform:network.natGateways", "'one_per_az' or 'single'"]),
    ("log-retention-not-allowed", "staging", "platform:network.flowLogs.retentionDays", 45,
     ["platform:network.flowLogs.retentionDays", "allowed: 1, 3, 5"]),
    ("missing-owner-tag", "production", "platform:tags.owner", _DELETE,
     ["platform:tags.owner", "required value is missing"]),
    ("missing-region", "production", "aws:region", _DELETE,
     ["aws:region", "required value is missing"]),
    ("bad-region", "production", "aws:region", "mars-1",
     ["aws:region", "should match pattern"]),
    ("reserved-tag", "staging", "platform:tags.extra", {"environment": "prod"},
     ["platform:tags.extra", "set by the platform"]),
    ("wrong-type-bool", "staging", "platform:protectStatefulResources", "sometimes",
     ["platform:protectStatefulResources", "valid boolean"]),
    ("unknown-namespace", "staging", "plattform:network", {"cidr": "10.0.0.0/16"},
     ["plattform:network", "unknown namespace"]),
    ("node-group-min-above-max", "staging", "platform:cluster",
     {"nodeGroups": {"general": {"minSize": 5, "desiredSize": 5, "maxSize": 2}}},
     ["platform:cluster.nodeGroups.general", "minSize <= desiredSize <= maxSize"]),
    ("public-endpoint-open-to-world", "staging", "platform:cluster",
     {"endpointPublicAccess": True, "publicAccessCidrs": ["0.0.0.0/0"]},
     ["platform:cluster", "0.0.0.0/0"]),
    ("dr-region-equals-primary", "production", "platform:backups", {"drRegion": "us-east-1"},
     ["drRegion", "must differ"]),
    ("maintenance-overlaps-backup", "production", "platform:database",
     {"maintenanceWindow": "mon:03:30-mon:04:30"},
     ["platform:database", "overlaps backupWindow"]),
    # real-account defects: each was accepted before
    ("cidr-overlaps-committed-stack", "staging", "platform:network.cidr", "10.10.0.0/18",
     ["platform:network.cidr", "overlaps stack 'production'", "10.10.0.0/16"]),
    ("platform-region-shadows-aws-region", "production", "platform:region", "eu-west-1",
     ["platform:region", "aws:region"]),
    ("celery-on-cluster-mode-cache", "production", "platform:cache",
     {"clusterMode": True, "shards": 2, "replicasPerShard": 1},
     ["platform:cache.clusterMode", "worker, beat", "celery/celery#2852"]),
    ("node-type-does-not-exist", "staging", "platform:cluster",
     {"nodeGroups": {"general": {"instanceTypes": ["m7i.huge"]}}},
     ["platform:cluster.nodeGroups.general.instanceTypes: m7i.huge is not offered in us-east-1"]),
    ("node-type-not-in-region", "production", "aws:region", "me-south-1",
     ["platform:cluster.nodeGroups.general.instanceTypes: m7i.large is not offered in me-south-1"]),
    ("database-class-not-in-region", "production", "aws:region", "eu-south-1",
     ["platform:database.instanceClass: db.m7g.large is not offered in eu-south-1",
      "platform:cache.nodeType: cache.m7g.large is not offered in eu-south-1"]),
    ("unknown-region", "production", "aws:region", "eu-west-9",
     ["aws:region", "unknown region 'eu-west-9'", "eu-west-1"]),
    ("quota-below-peak", "production", "platform:apps.quota",
     {"requestsCpu": "24", "limitsCpu": "64", "requestsMemory": "48Gi", "limitsMemory": "96Gi"},
     ["platform:apps", "maximum replicas plus the rolling-update surge",
      "quota.limitsCpu 64 < 75.5"]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("stack", "path", "value", "fragments"),
    [pytest.param(*case[1:], id=case[0]) for case in BAD_INPUTS],
)
def test_bad_config_is_rejected_before_any_resource(
    stack: str, path: str, value: Any, fragments: list[str]
) -> None:
    result = run_stack_config(_with(stack, path, value), stack)
    assert result.error is not None
    assert result.error.startswith("invalid stack config:")
    for fragment in fragments:
        assert fragment in result.error, result.error
    assert "Traceback" not in result.error
    assert len(result.graph) == 0, [r.name for r in result.graph]


def test_all_problems_are_reported_at_once() -> None:
    config = _with("staging", "platform:network.cidr", "nope")
    config["platform:network"]["azCount"] = 0
    with pytest.raises(ConfigError) as info:
        parse_stack_config(dict(config.items()), "staging")
    message = str(info.value)
    assert "platform:network.cidr" in message
    assert "platform:network.azCount" in message


def test_config_error_is_a_pulumi_run_error_so_the_cli_prints_no_traceback() -> None:
    import pulumi

    assert issubclass(ConfigError, pulumi.RunError)


@pytest.mark.parametrize("stack", ["staging", "production"])
def test_committed_stacks_validate(stack: str) -> None:
    cfg = parse_stack_config({**stack_config(stack), **SECRETS}, stack)
    assert cfg.environment == stack
    assert cfg.region == "us-east-1"


RUNNER = {
    "repository": "acme/platform",
    "connectionArn": "arn:aws:codeconnections:us-east-1:123456789012:connection/"
    "00000000-0000-4000-8000-000000000000",
}


def test_defaults_are_production_safe() -> None:
    minimal = {"aws:region": "us-east-1", "platform:tags": {"owner": "o", "costCenter": "c"}}
    # a private endpoint is the default, so CI needs the in-VPC runner: config says so
    with pytest.raises(ConfigError, match=r"platform:cluster.deployRunner is required"):
        parse_stack_config({**minimal, **SECRETS}, "any")
    cfg = parse_stack_config(
        {**minimal, "platform:cluster": {"deployRunner": RUNNER}, **SECRETS}, "any"
    )
    assert cfg.protect_stateful_resources is True
    assert cfg.network.nat_gateways == "one_per_az"
    assert cfg.network.az_count == 3
    assert cfg.database.multi_az is True
    assert cfg.database.deletion_protection is True
    assert cfg.cluster.endpoint_public_access is False


def test_staging_opts_out_explicitly() -> None:
    staging = parse_stack_config({**stack_config("staging"), **SECRETS}, "staging")
    production = parse_stack_config({**stack_config("production"), **SECRETS}, "production")
    assert staging.network.nat_gateways == "single"
    assert staging.protect_stateful_resources is False
    assert production.network.nat_gateways == "one_per_az"
    assert production.protect_stateful_resources is True


@pytest.mark.parametrize(
    ("daily", "weekly", "overlap"),
    [
        ("03:00-04:00", "sun:04:30-sun:05:30", False),
        ("03:00-04:00", "sun:03:30-sun:04:30", True),
        ("23:30-00:30", "mon:00:00-mon:00:45", True),  # daily window spills past midnight
        ("23:30-00:30", "sun:23:50-mon:00:10", True),  # weekly window wraps the week
        ("03:00-04:00", "sat:04:00-sat:05:00", False),  # touching is not overlapping
    ],
)
def test_window_overlap(daily: str, weekly: str, overlap: bool) -> None:
    assert windows_overlap(daily, weekly) is overlap


def test_cluster_mode_cache_is_accepted_without_celery() -> None:
    """Cluster mode stays available by config for products whose broker is elsewhere."""
    config = _with("production", "platform:cache", {"clusterMode": True, "shards": 2})
    for workload in config["platform:apps"]["workloads"].values():
        workload["command"] = ["node", "server.js"]
        workload.pop("probe", None)
        workload.pop("probeCommand", None)
        (workload.get("autoscaling") or {}).pop("queue", None)  # Celery's list
    cfg = parse_stack_config({**config, **SECRETS}, "production")
    assert cfg.cache.cluster_mode
    assert cfg.apps.celery_workloads == []


def test_committed_stacks_do_not_overlap_each_other() -> None:
    from environment.config.loader import committed_stack_cidrs

    cidrs = committed_stack_cidrs()
    assert {"staging", "production"} <= set(cidrs)
    ranges = sorted(cidrs.items())
    for i, (a, cidr_a) in enumerate(ranges):
        for b, cidr_b in ranges[i + 1 :]:
            assert not cidr_a.overlaps(cidr_b), (a, b)
