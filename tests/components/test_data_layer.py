"""RdsPostgres and ElastiCache under mocks, for both committed stacks."""

from __future__ import annotations

import json

import pytest

from components import versions
from tests.conftest import stack_config
from tools.offline.harness import PlanResult
from tools.offline.mocks import ACCOUNT_ID

RDS = "aws:rds/instance:Instance"
CACHE = "aws:elasticache/replicationGroup:ReplicationGroup"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"


def _db(plan: PlanResult):  # type: ignore[no-untyped-def]
    (db,) = plan.graph.of_type(RDS)
    return db


def _cache(plan: PlanResult):  # type: ignore[no-untyped-def]
    (group,) = plan.graph.of_type(CACHE)
    return group


def test_engine_and_parameter_group_family_agree(plan: PlanResult) -> None:
    db = _db(plan)
    assert db.inputs["engine"] == "postgres"
    # the major only, with AWS applying minors: an upgraded instance never looks like drift
    assert db.inputs["engineVersion"] == versions.POSTGRES_ENGINE_VERSION
    assert "." not in db.inputs["engineVersion"]
    assert db.inputs["autoMinorVersionUpgrade"] is True
    (pg,) = plan.graph.of_type("aws:rds/parameterGroup:ParameterGroup")
    family = "postgres" + versions.POSTGRES_ENGINE_VERSION.split(".")[0]
    assert pg.inputs["family"] == family
    # a new major makes a new group; a prefix (not a fixed name) so a retained group of a
    # destroyed stack or of the previous major never collides
    assert pg.inputs["namePrefix"].endswith(f"{family}-")
    assert "name" not in pg.inputs
    assert db.inputs["parameterGroupName"] == pg.outputs["name"]
    params = {p["name"]: p["value"] for p in pg.inputs["parameters"]}
    assert params["rds.force_ssl"] == "1"
    assert params["shared_preload_libraries"] == "pg_stat_statements"
    assert params["log_min_duration_statement"] == "500"
    cache = _cache(plan)
    assert cache.inputs["engine"] == "valkey"
    (cpg,) = plan.graph.of_type("aws:elasticache/parameterGroup:ParameterGroup")
    assert cpg.inputs["family"] == versions.valkey_parameter_group_family(
        cache.inputs["engineVersion"]
    )


def test_encrypted_with_the_projects_keys(plan: PlanResult) -> None:
    keys = {k.outputs["arn"]: k for k in plan.graph.of_type("aws:kms/key:Key")}
    db = _db(plan)
    assert db.inputs["storageEncrypted"] is True
    assert db.inputs["storageType"] == "gp3"
    assert db.inputs["kmsKeyId"] in keys
    assert db.inputs["performanceInsightsKmsKeyId"] == db.inputs["kmsKeyId"]
    if db.inputs.get("manageMasterUserPassword"):
        assert db.inputs["masterUserSecretKmsKeyId"] == db.inputs["kmsKeyId"]
    else:  # generated: the program's own secret, under the same key
        (secret,) = [
            s for s in plan.graph.of_type("aws:secretsmanager/secret:Secret")
            if s.inputs["name"] == f"{plan.stack}/db/platform_admin"
        ]  # fmt: skip
        assert secret.inputs["kmsKeyId"] == db.inputs["kmsKeyId"]
    cache = _cache(plan)
    assert cache.inputs["atRestEncryptionEnabled"] is True
    assert cache.inputs["kmsKeyId"] in keys
    assert cache.inputs["transitEncryptionEnabled"] is True
    assert cache.inputs["transitEncryptionMode"] == "required"
    for key in (db.inputs["kmsKeyId"], cache.inputs["kmsKeyId"]):
        assert keys[key].inputs["enableKeyRotation"] is True


def test_no_password_in_any_input_or_output(plan: PlanResult) -> None:
    db = _db(plan)
    if stack_config(plan.stack).get("platform:database", {}).get("masterPassword") == "generated":
        # a replica needs it (production-dr): generated, a secret in state and inputs; the
        # flag unset (the provider refuses it next to a password, even false)
        assert "manageMasterUserPassword" not in db.inputs
        assert db.inputs["password"] == "[secret]"
    else:
        assert db.inputs["manageMasterUserPassword"] is True
        assert "password" not in db.inputs
    assert _cache(plan).inputs["authToken"] == "[secret]"
    text = json.dumps([[r.inputs, r.outputs] for r in plan.graph])
    assert "offline-" not in text  # the mocked generated token never shows in clear
    versions_ = plan.graph.of_type("aws:secretsmanager/secretVersion:SecretVersion")
    assert len(versions_) >= 4  # the cache token and every database login
    for version in versions_:
        assert version.inputs["secretString"] == "[secret]"
    assert "offline-" not in json.dumps(plan.outputs)


def test_iam_auth_monitoring_and_logs(plan: PlanResult) -> None:
    db = _db(plan)
    assert db.inputs["iamDatabaseAuthenticationEnabled"] is True
    assert db.inputs["publiclyAccessible"] is False
    assert db.inputs["performanceInsightsEnabled"] is True
    assert db.inputs["monitoringInterval"] > 0
    assert db.inputs["enabledCloudwatchLogsExports"] == ["postgresql", "upgrade"]
    assert db.inputs["engineLifecycleSupport"] == "open-source-rds-extended-support-disabled"
    names = {g.inputs["name"] for g in plan.graph.of_type("aws:cloudwatch/logGroup:LogGroup")}
    ident = db.inputs["identifier"]
    assert {f"/aws/rds/instance/{ident}/postgresql", f"/aws/rds/instance/{ident}/upgrade"} <= names
    kinds = {c["logType"] for c in _cache(plan).inputs["logDeliveryConfigurations"]}
    assert kinds == {"slow-log", "engine-log"}


def test_ha_per_stack(staging: PlanResult, production: PlanResult) -> None:
    assert _db(production).inputs["multiAz"] is True
    assert _db(staging).inputs["multiAz"] is False
    prod = _cache(production).inputs
    # a Celery broker needs cluster mode off: one primary with a replica in every zone
    assert prod["clusterMode"] == "disabled"
    assert prod["numCacheClusters"] == 3
    assert "numNodeGroups" not in prod
    (_vpc,) = production.graph.of_type("aws:ec2/vpc:Vpc")
    zones = {
        s.inputs["availabilityZone"] for s in production.graph.of_type("aws:ec2/subnet:Subnet")
    }
    assert len(zones) == 3
    assert sorted(prod["preferredCacheClusterAzs"]) == sorted(zones)
    assert prod["automaticFailoverEnabled"] is True
    assert prod["multiAzEnabled"] is True
    stg = _cache(staging).inputs
    assert stg["clusterMode"] == "disabled"
    assert stg["numCacheClusters"] == 1
    assert stg["automaticFailoverEnabled"] is False


def _minutes(window: str) -> tuple[int, int]:
    start, end = window.split("-")
    h1, m1 = start.split(":")[-2:]
    h2, m2 = end.split(":")[-2:]
    return int(h1) * 60 + int(m1), int(h2) * 60 + int(m2)


def test_backups_inside_the_seed_window(plan: PlanResult) -> None:
    db = _db(plan).inputs
    expected = {"staging": 7, "production": 30}[plan.stack]
    assert db["backupRetentionPeriod"] == expected
    assert db["copyTagsToSnapshot"] is True
    assert db["backupWindow"] == "03:00-04:00"
    cache = _cache(plan).inputs
    start, end = _minutes(cache["snapshotWindow"])
    assert 180 <= start < end <= 360
    assert cache["snapshotRetentionLimit"] == {"staging": 1, "production": 7}[plan.stack]
    for window, maintenance in (
        (db["backupWindow"], db["maintenanceWindow"]),
        (cache["snapshotWindow"], cache["maintenanceWindow"]),
    ):
        b_start, b_end = _minutes(window)
        m_start, m_end = _minutes(maintenance)
        assert m_end <= b_start or m_start >= b_end


def test_production_is_protected(production: PlanResult) -> None:
    db = _db(production)
    assert db.inputs["deletionProtection"] is True
    assert db.inputs["skipFinalSnapshot"] is False
    (suffix,) = production.graph.of_type("random:index/randomId:RandomId")
    assert (
        db.inputs["finalSnapshotIdentifier"] == f"production-postgres-final-{suffix.outputs['hex']}"
    )
    assert db.options.protect is True
    cache = _cache(production)
    assert cache.options.protect is True
    assert cache.inputs["finalSnapshotIdentifier"] == "production-cache-final"
    for key in production.graph.of_type("aws:kms/key:Key"):
        assert key.options.protect is True
        assert key.options.retain_on_delete is True


def test_staging_opts_out_explicitly(staging: PlanResult) -> None:
    db = _db(staging)
    assert db.inputs["deletionProtection"] is False
    assert db.options.protect is False
    assert db.inputs["skipFinalSnapshot"] is False  # a final snapshot is still taken


def test_staging_can_be_destroyed_and_recreated(staging: PlanResult) -> None:
    """Day two: a second incarnation must not collide with the first one's leftovers, and
    the first one's final snapshot must stay restorable."""
    db = _db(staging)
    (suffix,) = staging.graph.of_type("random:index/randomId:RandomId")
    # a new RandomId per incarnation: the second destroy does not hit "snapshot exists"
    assert db.inputs["finalSnapshotIdentifier"].endswith(suffix.outputs["hex"])
    assert (
        suffix.parent
        == staging.graph.named("staging-postgres", "platform:components:RdsPostgres").urn
    )
    # the key of the final snapshot is kept (not scheduled for deletion with the stack)
    key = next(
        k for k in staging.graph.of_type("aws:kms/key:Key") if k.name == "staging-postgres-key"
    )
    assert key.options.retain_on_delete is True
    assert key.options.protect is False
    # secret names are free at once after a destroy (no 7-day recovery window)
    for secret in staging.graph.of_type("aws:secretsmanager/secret:Secret"):
        assert secret.inputs["recoveryWindowInDays"] == 0, secret.name


def test_major_upgrades_are_allowed_and_keep_the_old_parameter_group(plan: PlanResult) -> None:
    db = _db(plan)
    assert db.inputs["allowMajorVersionUpgrade"] is True
    (group,) = plan.graph.of_type("aws:rds/parameterGroup:ParameterGroup")
    assert group.options.retain_on_delete is True


@pytest.mark.parametrize(("kind", "port"), [("postgres", 5432), ("cache", 6379)])
def test_security_groups_admit_only_the_nodes_on_one_port(
    plan: PlanResult, kind: str, port: int
) -> None:
    nodes = plan.graph.named(f"{plan.stack}-eks-nodes", "aws:ec2/securityGroup:SecurityGroup")
    sg = plan.graph.named(f"{plan.stack}-{kind}-sg", "aws:ec2/securityGroup:SecurityGroup")
    assert "ingress" not in sg.inputs or not sg.inputs["ingress"]
    rules = [
        r for r in plan.graph.of_type(INGRESS) if r.inputs["securityGroupId"] == sg.outputs["id"]
    ]
    assert len(rules) == 1
    (rule,) = rules
    assert rule.inputs["referencedSecurityGroupId"] == nodes.outputs["id"]
    assert (rule.inputs["fromPort"], rule.inputs["toPort"], rule.inputs["ipProtocol"]) == (
        port,
        port,
        "tcp",
    )
    assert "cidrIpv4" not in rule.inputs


def test_outputs_and_backup_tag(plan: PlanResult) -> None:
    generated = (
        stack_config(plan.stack).get("platform:database", {}).get("masterPassword") == "generated"
    )
    secret = f"{plan.stack}/db/platform_admin" if generated else "rds!db-"
    assert plan.outputs["databaseSecretArn"].startswith(
        f"arn:aws:secretsmanager:us-east-1:{ACCOUNT_ID}:secret:{secret}"
    )
    assert plan.outputs["databasePort"] == 5432
    assert _db(plan).inputs["tags"] == {"backup": "true"}
    names = {s.inputs["name"] for s in plan.graph.of_type("aws:secretsmanager/secret:Secret")}
    assert names == {
        f"{plan.stack}/cache/auth",
        *(f"{plan.stack}/db/{role}" for role in
          ("app_api", "app_worker", "app_beat", "platform_monitoring", "platform_backup")),
        *([f"{plan.stack}/db/platform_admin"] if generated else []),
        # the SES SMTP password, where alerts are mailed (monitoring.alertEmails)
        *([f"{plan.stack}/generated/alertmanager-smtp-password"]
          if stack_config(plan.stack).get("platform:monitoring", {}).get("alertEmails") else []),
    }  # fmt: skip
