"""Bad database and cache config is rejected clearly, before any resource exists."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import run_stack_config, stack_config

BAD = [
    ("cache-failover-with-one-node", "staging", "platform:cache",
     {"multiAz": True, "replicasPerShard": 0},
     ["platform:cache", "at least 2 nodes per shard"]),
    ("retention-zero", "production", "platform:database", {"backupRetentionDays": 0},
     ["platform:database.backupRetentionDays", "greater than or equal to 1"]),
    ("retention-above-35", "production", "platform:database", {"backupRetentionDays": 36},
     ["platform:database.backupRetentionDays", "less than or equal to 35"]),
    ("retention-short-when-protected", "production", "platform:database",
     {"backupRetentionDays": 3}, ["backupRetentionDays must be >= 7"]),
    ("overlapping-windows", "production", "platform:database",
     {"backupWindow": "03:00-04:00", "maintenanceWindow": "mon:03:30-mon:04:30"},
     ["platform:database", "overlaps backupWindow"]),
    ("malformed-window", "production", "platform:database", {"backupWindow": "3am-4am"},
     ["platform:database.backupWindow", "HH:MM-HH:MM"]),
    ("backup-window-outside-seed", "production", "platform:database",
     {"backupWindow": "10:00-11:00"}, ["inside 03:00-06:00"]),
    ("unknown-engine-version", "production", "platform:database", {"engineVersion": "12"},
     ["platform:database.engineVersion", "unknown engine version", "17"]),
    ("read-replica-of-managed-password-source", "production", "platform:database",
     {"readReplicas": 1}, ["platform:database.readReplicas", "not supported",
                           "Limitations for Secrets Manager integration"]),
    ("engine-minor-pinned", "production", "platform:database", {"engineVersion": "17.6"},
     ["platform:database.engineVersion", "pins a minor version", "downgrade"]),
    ("instance-size-not-in-family", "production", "platform:database",
     {"instanceClass": "db.m7g.micro"}, ["platform:database.instanceClass", "no size 'micro'"]),
    ("unknown-instance-family", "production", "platform:database",
     {"instanceClass": "db.x9.large"}, ["unknown RDS instance family"]),
    ("cache-node-type", "production", "platform:cache", {"nodeType": "cache.t4g.large"},
     ["platform:cache.nodeType", "no size 'large'"]),
    ("cache-snapshot-overlaps-maintenance", "production", "platform:cache",
     {"snapshotWindow": "04:00-05:00", "maintenanceWindow": "tue:04:30-tue:05:30"},
     ["overlaps snapshotWindow"]),
    ("cache-unknown-engine", "production", "platform:cache", {"engineVersion": "6.2"},
     ["platform:cache.engineVersion", "unknown engine version"]),
    ("deletion-protection-off-when-protected", "production", "platform:database",
     {"deletionProtection": False}, ["deletionProtection must stay true"]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("stack", "key", "value", "fragments"), [b[1:] for b in BAD], ids=[b[0] for b in BAD]
)
def test_bad_data_config(stack: str, key: str, value: dict[str, Any], fragments: list[str]) -> None:
    config = stack_config(stack)
    config[key] = value
    result = run_stack_config(config, stack)
    assert result.error is not None
    for fragment in fragments:
        assert fragment in result.error, result.error
    assert len(result.graph) == 0
