"""The warm standby (``Pulumi.production-dr.yaml``) under mocks: its StackReference answers
with production's plan outputs (``tools/offline/harness.primary_outputs``)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from environment.config import loader
from environment.config.loader import ConfigError, committed_stack_config, parse_stack_config
from tests.conftest import REPO
from tools.offline import changes
from tools.offline.harness import PlanResult, run_program, run_with_config

STANDBY = "production-dr"


def _one(plan: PlanResult, type_: str, name: str) -> Any:
    (found,) = [r for r in plan.graph.of_type(type_) if r.name == name]
    return found


def _db(plan: PlanResult) -> Any:
    return _one(plan, "aws:rds/instance:Instance", f"{plan.stack}-postgres-db")


def test_the_database_is_a_cross_region_replica_of_the_primarys(
    production: PlanResult, production_dr: PlanResult
) -> None:
    db = _db(production_dr)
    assert db.inputs["replicateSourceDb"] == production.outputs["databaseArn"]
    assert production.outputs["databaseArn"].startswith("arn:aws:rds:us-east-1:")
    keys = {k.outputs["arn"]: k for k in production_dr.graph.of_type("aws:kms/key:Key")}
    assert db.inputs["kmsKeyId"] in keys
    assert db.inputs["kmsKeyId"].startswith("arn:aws:kms:us-west-2:")
    group = _one(production_dr, "aws:rds/parameterGroup:ParameterGroup",
                 "production-dr-postgres-postgres17")  # fmt: skip
    assert db.inputs["parameterGroupName"] == group.outputs["name"]
    subnets = production_dr.graph.of_type("aws:rds/subnetGroup:SubnetGroup")
    assert db.inputs["dbSubnetGroupName"] in {s.outputs["name"] for s in subnets}
    # the provider refuses these next to replicate_source_db; RDS takes no final snapshot
    for refused in ("engine", "engineVersion", "username", "dbName", "password"):
        assert refused not in db.inputs
    assert db.inputs["skipFinalSnapshot"] is True
    assert "finalSnapshotIdentifier" not in db.inputs
    assert db.inputs["backupRetentionPeriod"] >= 7  # promotable with PITR (PostgreSQL 14.1+)
    assert db.inputs["deletionProtection"] is True
    assert db.options.protect


def test_the_primary_password_is_one_a_replica_can_be_made_of(production: PlanResult) -> None:
    db = _db(production)
    assert "manageMasterUserPassword" not in db.inputs  # refused next to a password
    assert db.inputs["password"] == "[secret]"
    (secret,) = [
        s for s in production.graph.of_type("aws:secretsmanager/secret:Secret")
        if s.inputs["name"] == "production/db/platform_admin"
    ]  # fmt: skip
    assert secret.inputs["kmsKeyId"] == db.inputs["kmsKeyId"]
    assert production.outputs["databaseSecretArn"] == secret.outputs["arn"]


def test_standing_by_runs_scaled_down(production: PlanResult, production_dr: PlanResult) -> None:
    def sizes(plan: PlanResult) -> tuple[int, int, int]:
        groups = [
            g.inputs["scalingConfig"] for g in plan.graph.of_type("aws:eks/nodeGroup:NodeGroup")
        ]
        return tuple(sum(g[k] for g in groups) for k in ("minSize", "desiredSize", "maxSize"))  # type: ignore[return-value]

    # production-dr: nodesPerGroup 3 (one per zone, for the add-ons), the max kept
    assert sizes(production_dr) == (3, 3, sizes(production)[2])
    raw = _standby_config()
    raw["platform:standby"] = {**raw["platform:standby"], "scaledDown": {"nodesPerGroup": 1}}
    (group,) = parse_stack_config(raw, STANDBY).cluster.node_groups.values()
    assert (group.min_size, group.desired_size) == (1, 1)

    def specs(kind: str) -> dict[str, Any]:
        objects = production_dr.graph.of_type(f"kubernetes:{kind}")
        return {o.inputs["metadata"]["name"]: o.inputs["spec"] for o in objects}

    # replicas 0: the CPU-scaled api without its HPA (which does not scale up from zero)
    assert "api" not in specs("autoscaling/v2:HorizontalPodAutoscaler")
    assert specs("apps/v1:Deployment")["api"]["replicas"] == 0
    assert specs("keda.sh/v1alpha1:ScaledObject")["worker"]["minReplicaCount"] == 0
    assert specs("apps/v1:Deployment")["beat"]["replicas"] == 0  # never two schedulers


def test_media_and_backups_are_the_primarys_in_place(
    production: PlanResult, production_dr: PlanResult
) -> None:
    buckets = {b.inputs.get("bucket") for b in production_dr.graph.of_type("aws:s3/bucket:Bucket")}
    assert not any("app-data" in str(b) for b in buckets)
    (config,) = [c for c in production_dr.graph.of_type("kubernetes:core/v1:ConfigMap")
                 if c.inputs["metadata"]["name"] == "app-config"]  # fmt: skip
    assert config.inputs["data"]["APP_BUCKET"] == production.outputs["dataReplicaBucket"]
    assert not production_dr.graph.of_type("aws:backup/vault:Vault")
    # the roles are replicated; the Job runs only once promoted (the replica is read-only)
    jobs = [j.name for j in production_dr.graph.of_type("kubernetes:batch/v1:Job")]
    assert not [j for j in jobs if "db-roles" in j]


def test_failover_records_for_every_public_host(
    production: PlanResult, production_dr: PlanResult
) -> None:
    (check,) = production_dr.graph.of_type("aws:route53/healthCheck:HealthCheck")
    assert check.inputs["type"] == "TCP"
    assert check.inputs["port"] == 443
    assert check.inputs["fqdn"] == production.outputs["loadBalancerDnsName"]
    records = production_dr.graph.of_type("aws:route53/record:Record")
    by_role = {r.inputs["failoverRoutingPolicies"][0]["type"]: r for r in records}
    assert len(records) == 2
    assert set(by_role) == {"PRIMARY", "SECONDARY"}
    primary, secondary = by_role["PRIMARY"], by_role["SECONDARY"]
    assert {r.inputs["name"] for r in records} == {"api.example.com"}
    assert primary.inputs["healthCheckId"] == check.outputs["id"]
    assert primary.inputs["aliases"][0]["name"] == production.outputs["loadBalancerDnsName"]
    assert primary.inputs["aliases"][0]["zoneId"] == "Z35SXDOTRQ7X7K"  # us-east-1 ALBs
    assert secondary.inputs["aliases"][0]["zoneId"] == "Z1H1FL5HABSF5"  # us-west-2 ALBs
    assert primary.inputs["aliases"][0]["evaluateTargetHealth"] is True
    # Route 53 answers with the primary when the secondary is unhealthy: never judge the
    # standby's (maybe not yet ready) targets
    assert secondary.inputs["aliases"][0]["evaluateTargetHealth"] is False
    assert production_dr.outputs["failoverHealthCheckId"] == check.outputs["id"]


def _promoted() -> PlanResult:
    raw = committed_stack_config(STANDBY)
    assert raw is not None
    standby = {**raw["platform:standby"], "promoted": True}
    config = {k: v if isinstance(v, str) else json.dumps(v) for k, v in raw.items()}
    config["platform:standby"] = json.dumps(standby)
    result = run_with_config(config, STANDBY)
    assert result.error is None, result.error
    return result


def test_a_promoted_standby_keeps_its_database_and_scales_up(
    production: PlanResult, production_dr: PlanResult
) -> None:
    promoted = _promoted()
    db = _db(promoted)
    assert "replicateSourceDb" not in db.inputs
    # this stack's generated password, whose secret existed while standing by (no IAM change)
    assert db.inputs["password"] == "[secret]"
    assert "manageMasterUserPassword" not in db.inputs
    secrets = {
        s.inputs["name"]: s for s in promoted.graph.of_type("aws:secretsmanager/secret:Secret")
    }
    assert "production-dr/db/platform_admin" in secrets
    assert production_dr.outputs["databaseSecretArn"] == promoted.outputs["databaseSecretArn"]
    # the failover's up adds no IAM role but the backups' (README: IAM's control plane)
    roles = {r.name for r in production_dr.graph.of_type("aws:iam/role:Role")}
    added = {r.name for r in promoted.graph.of_type("aws:iam/role:Role")} - roles
    assert added
    assert all("-backups-" in name for name in added), added
    assert db.inputs["skipFinalSnapshot"] is False
    found = {c.name: c for c in changes.compare(production_dr.graph, promoted.graph)}
    assert found[db.name].action == "update"  # the same instance: never re-created
    assert not [c for c in found.values() if c.guarded]
    (record,) = promoted.graph.of_type("aws:route53/record:Record")  # no PRIMARY left
    assert record.inputs["failoverRoutingPolicies"] == [{"type": "SECONDARY"}]
    assert "engineVersion" not in db.inputs  # the state's full version: "17" would be a change
    groups = [
        g.inputs["scalingConfig"] for g in promoted.graph.of_type("aws:eks/nodeGroup:NodeGroup")
    ]
    prod = [
        g.inputs["scalingConfig"] for g in production.graph.of_type("aws:eks/nodeGroup:NodeGroup")
    ]
    assert sum(g["minSize"] for g in groups) == sum(g["minSize"] for g in prod)
    assert [j for j in promoted.graph.of_type("kubernetes:batch/v1:Job") if "db-roles" in j.name]
    assert promoted.graph.of_type("aws:backup/vault:Vault")
    # the api's Deployment is replaced at its minimum (deleted first: it had no pod), its HPA
    # then owns it; an update could not raise it (ignore_changes on replicas)
    api = found["production-dr-app-api-deployment"]
    assert api.action == "replace"
    (deployment,) = [d for d in promoted.graph.of_type("kubernetes:apps/v1:Deployment")
                     if d.name == api.name]  # fmt: skip
    assert deployment.inputs["spec"]["replicas"] == 3
    assert deployment.options.delete_before_replace
    hpas = promoted.graph.of_type("kubernetes:autoscaling/v2:HorizontalPodAutoscaler")
    assert {h.inputs["metadata"]["name"]: h.inputs["spec"]["minReplicas"] for h in hpas} == {
        "api": 3
    }


def _canonical(plan: PlanResult) -> list[Any]:
    return sorted(
        json.dumps([r.urn, r.inputs, sorted(r.dependencies), r.options.protect], sort_keys=True)
        for r in plan.graph
    )


def test_the_primary_is_unchanged_by_its_standby(
    production: PlanResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    for deployment in production.graph.of_type("kubernetes:apps/v1:Deployment"):
        assert "platform/standby" not in deployment.inputs["metadata"]["annotations"]
        assert not deployment.options.replace_on_changes
    cidrs = loader.committed_stack_cidrs()
    assert STANDBY in cidrs
    monkeypatch.setattr(
        loader, "committed_stack_cidrs", lambda *_: {k: v for k, v in cidrs.items() if k != STANDBY}
    )
    alone = run_program(REPO / "Pulumi.production.yaml")
    assert alone.error is None
    assert _canonical(alone) == _canonical(production)


def _standby_config(**overrides: Any) -> dict[str, Any]:
    raw = dict(committed_stack_config(STANDBY) or {})
    raw.update(overrides)
    return raw


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"aws:region": "us-east-1"}, "aws:region: us-east-1 is the region of the primary"),
        ({"aws:region": "eu-west-1"}, "is not the primary's backups.drRegion (us-west-2)"),
        ({"platform:network": {"cidr": "10.10.128.0/17"}},
         "platform:network.cidr: 10.10.128.0/17 overlaps the primary's (production)"),
        ({"platform:standby": {"cache": "cold"}}, "platform:standby.primaryStack: required"),
        ({"platform:standby": {"primaryStack": "production", "cache": "global"}},
         "platform:standby.cache: global (an ElastiCache global datastore secondary) is not"),
        ({"platform:standby": {"primaryStack": "nowhere"}},
         "platform:standby.primaryStack: no committed stack file Pulumi.nowhere.yaml"),
        ({"platform:standby": {"primaryStack": "production", "dns": {
            "hostedZone": {"id": "Z0123456789ABCDEFGHIJ", "domain": "example.org"}}}},
         "platform:standby.dns.hostedZone: example.org must hold every public host"),
        ({"platform:apps": {"ingress": {"certificateArns": [
            "arn:aws:acm:us-east-1:123456789012:certificate/0b5c7a4e-6c1d-4b7e-9a35-2f6d8c1e4a90"]}}},
         "platform:apps.ingress.certificateArns: arn:aws:acm:us-east-1"),
    ],
)  # fmt: skip
def test_bad_standby_config_is_refused_naming_the_key(
    overrides: dict[str, Any], expected: str
) -> None:
    with pytest.raises(ConfigError) as error:
        parse_stack_config(_standby_config(**overrides), STANDBY)
    assert expected in str(error.value).replace("required value is missing", "required")


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        # issuing would create the validation records the primary's stack owns
        ({"platform:apps": {"ingress": {"certificateArns": [],
          "hostedZone": {"id": "Z0123456789ABCDEFGHIJ", "domain": "example.com"}}}},
         "platform:apps.ingress.certificateArns: a standby issues no certificates"),
        ({"platform:apps": {"ingress": {"waf": None, "wafAclArn":
          "arn:aws:wafv2:us-east-1:123456789012:regional/webacl/shared/0f1e2d3c"}}},
         "platform:apps.ingress.wafAclArn: arn:aws:wafv2:us-east-1"),
    ],
)  # fmt: skip
def test_inherited_keys_that_would_reach_the_primarys_region_are_refused(
    overrides: dict[str, Any], expected: str
) -> None:
    raw = _standby_config()
    for key, value in overrides.items():
        raw[key] = loader._merged(raw.get(key) or {}, value)
    with pytest.raises(ConfigError, match=re.escape(expected)):
        parse_stack_config(raw, STANDBY)


def test_standing_by_pulls_images_in_its_region() -> None:
    image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/product/app:1.42.0"
    migrate = {"kind": "migration", "command": ["alembic", "upgrade", "head"], "image": image}
    raw = _standby_config()
    raw["platform:apps"] = loader._merged(raw["platform:apps"], {"workloads": {"migrate": migrate}})
    standing_by = parse_stack_config(raw, STANDBY)
    assert standing_by.apps.workloads["migrate"].image.startswith("123456789012.dkr.ecr.us-west-2.")
    assert standing_by.apps.workloads["api"].image == (
        "123456789012.dkr.ecr.us-west-2.amazonaws.com/product/app:1.42.0"
    )
    raw["platform:standby"] = {**raw["platform:standby"], "promoted": True}
    promoted = parse_stack_config(raw, STANDBY)
    assert promoted.apps.workloads["migrate"].image.startswith("123456789012.dkr.ecr.us-west-2.")
    raw["platform:standby"] = {**raw["platform:standby"], "ecrReplica": False}
    across = parse_stack_config(raw, STANDBY)
    assert ".dkr.ecr.us-east-1." in across.apps.workloads["api"].image


def test_no_provider_of_the_primarys_region(production_dr: PlanResult) -> None:
    """A provider checks its credentials in its region even when unused: a standby whose
    backups copy nowhere has none for the primary's region."""
    regions = {p.inputs.get("region") for p in production_dr.graph.of_type("pulumi:providers:aws")}
    assert regions == {"us-west-2"}


def test_a_primary_whose_password_rds_manages_is_refused() -> None:
    production = dict(committed_stack_config("production") or {})
    production["platform:database"] = {"masterPassword": "rds-managed"}
    files = {"production": production}
    with pytest.raises(ConfigError, match=r"masterPassword is 'rds-managed': RDS creates no"):
        parse_stack_config(_standby_config(), STANDBY, stack_files=files.get)


def test_the_standby_inherits_what_it_does_not_set() -> None:
    cfg = parse_stack_config(_standby_config(), STANDBY)
    production = parse_stack_config(dict(committed_stack_config("production") or {}), "production")
    # the same image, from this region's ECR replica
    assert cfg.apps.workloads["api"].image == production.apps.workloads["api"].image.replace(
        ".us-east-1.", ".us-west-2."
    )
    assert cfg.database.multi_az is False  # its own key, merged into the primary's section
    assert cfg.database.instance_class == production.database.instance_class
    assert cfg.network.cidr != production.network.cidr
    assert cfg.apps.ingress.routes == production.apps.ingress.routes


def test_the_replicas_lag_is_watched_against_the_rpo_target(
    production: PlanResult, production_dr: PlanResult
) -> None:
    def lag_alarms(plan: PlanResult) -> list[Any]:
        alarms = plan.graph.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
        return [a for a in alarms if a.inputs["metricName"] == "ReplicaLag"]

    (alarm,) = lag_alarms(production_dr)
    assert alarm.inputs["dimensions"] == {"DBInstanceIdentifier": "production-dr-postgres"}
    # the minimum of each period: an idle source's sawtooth (up to 5 min) never fires it
    assert alarm.inputs["statistic"] == "Minimum"
    assert alarm.inputs["threshold"] == 5 * 60  # production's backups.regionLossRpoMinutes
    assert lag_alarms(production) == []


def test_a_standing_by_migration_runs_no_job_and_its_login_exists() -> None:
    """The role, login and service account of a migration exist standing by (no IAM change
    at promotion); its Job, which would write to the replica, comes with the promotion."""
    image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/product/app:1.42.0"
    migrate = {"kind": "migration", "command": ["alembic", "upgrade", "head"], "image": image}
    raw = _standby_config()
    raw["platform:apps"] = loader._merged(raw["platform:apps"], {"workloads": {"migrate": migrate}})

    def plan(standby: dict[str, Any]) -> PlanResult:
        config = {**raw, "platform:standby": {**raw["platform:standby"], **standby}}
        flat = {k: v if isinstance(v, str) else json.dumps(v) for k, v in config.items()}
        result = run_with_config(flat, STANDBY)
        assert result.error is None, result.error
        return result

    standing_by, promoted = plan({}), plan({"promoted": True})
    jobs = [j.name for j in standing_by.graph.of_type("kubernetes:batch/v1:Job")]
    assert not [j for j in jobs if "migrate" in j]
    assert [j for j in promoted.graph.of_type("kubernetes:batch/v1:Job") if "migrate" in j.name]
    roles = {r.name for r in standing_by.graph.of_type("aws:iam/role:Role")}
    assert "production-dr-app-migrate-role" in roles
    secrets = {
        s.inputs["name"] for s in standing_by.graph.of_type("aws:secretsmanager/secret:Secret")
    }
    assert "production-dr/db/app_migrate" in secrets
    # Pulumi does not wait for pods that cannot log in before promotion
    for deployment in standing_by.graph.of_type("kubernetes:apps/v1:Deployment"):
        annotations = deployment.inputs["metadata"]["annotations"]
        assert annotations["pulumi.com/waitFor"] == "jsonpath={.metadata.uid}"
        assert "pulumi.com/skipAwait" not in annotations  # it would skip awaiting the delete
        assert annotations["platform/standby"] == "standing-by"
        assert deployment.options.replace_on_changes == (
            'metadata.annotations["platform/standby"]',
        )
    # every image it pulls from its region's ECR replica is looked up (a missing one fails
    # the preview, not the failover)
    looked_up = [a for t, a in standing_by.calls if t == "aws:ecr/getImage:getImage"]
    assert looked_up == [
        {"registryId": "123456789012", "repositoryName": "product/app", "imageTag": "1.42.0"}
    ]


def test_each_ecr_image_is_looked_up_by_digest_or_tag() -> None:
    """One plan, three images: a tag, a tag with a digest (looked up by the digest), and one
    not from ECR (nothing to look up)."""
    ecr = "123456789012.dkr.ecr.us-east-1.amazonaws.com/product"
    digest = "sha256:" + "a" * 64
    images = {"api": f"{ecr}/api:1.42.0", "worker": f"{ecr}/worker:1.42.0@{digest}",
              "beat": "ghcr.io/acme/beat:1.0.0"}  # fmt: skip
    raw = _standby_config()
    raw["platform:apps"] = loader._merged(
        raw["platform:apps"], {"workloads": {n: {"image": i} for n, i in images.items()}}
    )
    flat = {k: v if isinstance(v, str) else json.dumps(v) for k, v in raw.items()}
    result = run_with_config(flat, STANDBY)
    assert result.error is None, result.error
    looked_up = [a for t, a in result.calls if t == "aws:ecr/getImage:getImage"]
    assert sorted(looked_up, key=lambda a: a["repositoryName"]) == [
        {"registryId": "123456789012", "repositoryName": "product/api", "imageTag": "1.42.0"},
        {"registryId": "123456789012", "repositoryName": "product/worker", "imageDigest": digest},
    ]
