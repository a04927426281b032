"""Credentials that survive rotation: own logins per consumer, applied from inside the VPC,
and every long-running pod that reads a Secret from its environment is rolled when it
changes."""

from __future__ import annotations

import json

from components.database_roles import APP_GROUP, roles_sql
from tests.conftest import run_stack_config, stack_config
from tools.offline.harness import PlanResult

POD_OWNERS = ("Deployment", "StatefulSet", "DaemonSet")
RUN_ONCE = ("Job", "CronJob")  # every run starts fresh and reads the current Secret


def _objects(plan: PlanResult) -> list[dict]:
    objects = []
    for r in plan.graph:
        if r.type.startswith("kubernetes:") and "metadata" in r.inputs:
            kind = r.type.rsplit(":", 1)[-1]
            objects.append({"kind": kind, **r.inputs})
    return objects


def _pod(obj: dict) -> dict:
    spec = obj["spec"]
    if obj["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    return spec["template"]["spec"]


def _reads_secret_from_env(pod: dict) -> bool:
    for container in pod["containers"] + pod.get("initContainers", []):
        if any("secretRef" in e for e in container.get("envFrom", [])):
            return True
        if any("secretKeyRef" in (e.get("valueFrom") or {}) for e in container.get("env", [])):
            return True
    return False


def test_no_pod_reads_a_rotating_secret_from_env_without_a_restart(plan: PlanResult) -> None:
    releases = {r.inputs["name"]: r for r in plan.graph.of_type("kubernetes:helm.sh/v3:Release")}
    assert releases["reloader"].inputs["values"]["reloader"]["watchGlobally"] is True
    checked = 0
    for obj in _objects(plan):
        if obj["kind"] not in POD_OWNERS or not _reads_secret_from_env(_pod(obj)):
            continue
        checked += 1
        annotations = obj["metadata"].get("annotations") or {}
        assert annotations.get("reloader.stakater.com/auto") == "true", obj["metadata"]["name"]
    assert checked == 3  # api, worker, beat
    # the exporters' Deployments come from charts: the annotation goes through their values
    postgres = releases["prometheus-postgres-exporter"].inputs["values"]
    assert postgres["deployment"]["annotations"] == {"reloader.stakater.com/auto": "true"}
    redis = releases["prometheus-redis-exporter"].inputs["values"]
    assert redis["annotations"] == {"reloader.stakater.com/auto": "true"}


def test_workloads_never_use_the_master_user(plan: PlanResult) -> None:
    master = plan.outputs["databaseSecretArn"]
    for external in plan.graph.of_type("kubernetes:external-secrets.io/v1:ExternalSecret"):
        keys = {d["remoteRef"]["key"] for d in external.inputs["spec"]["data"]}
        if master in keys:
            assert external.inputs["metadata"]["namespace"] == "db-admin"
    monitoring = [
        e for e in plan.graph.of_type("kubernetes:external-secrets.io/v1:ExternalSecret")
        if e.inputs["metadata"]["namespace"] in ("monitoring", "backups")
        and any("/db/" in str(d["remoteRef"]["key"]) for d in e.inputs["spec"]["data"])
    ]  # fmt: skip
    used = {d["remoteRef"]["key"] for e in monitoring for d in e.inputs["spec"]["data"]}
    assert used == {f"{plan.stack}/db/platform_monitoring", f"{plan.stack}/db/platform_backup"}


def test_roles_job_runs_from_inside_the_vpc_before_the_apps(plan: PlanResult) -> None:
    (job,) = plan.graph.of_type("kubernetes:batch/v1:Job")
    assert job.inputs["metadata"]["namespace"] == "db-admin"
    assert job.inputs["metadata"]["name"].startswith("db-roles-")
    pod = job.inputs["spec"]["template"]["spec"]
    (psql,) = pod["containers"]
    env = {e["name"]: e.get("value") for e in psql["env"]}
    assert env["PGSSLMODE"] == "verify-full"
    assert env["PGSSLROOTCERT"] == "/etc/rds-ca/bundle.pem"
    assert psql["envFrom"] == [{"secretRef": {"name": "postgres-master"}}]
    assert "psql -X -q -f /sql/roles.sql" in psql["command"][-1]
    assert "PASSWORD" not in json.dumps(psql["command"])  # passwords come from files only
    for deployment in plan.graph.of_type("kubernetes:apps/v1:Deployment"):
        if deployment.inputs["metadata"]["namespace"] == "apps":
            assert job.urn in deployment.dependencies
    policies = {
        p.inputs["metadata"]["name"]: p.inputs["spec"]
        for p in plan.graph.of_type("kubernetes:networking.k8s.io/v1:NetworkPolicy")
        if p.inputs["metadata"]["namespace"] == "db-admin"
    }
    assert set(policies) == {"default-deny", "allow-dns", "db-admin-egress"}


def test_sql_is_idempotent_and_grants_by_kind() -> None:
    sql = roles_sql("app", {"app_api": "app", "platform_monitoring": "monitoring",
                            "platform_backup": "backup"})  # fmt: skip
    assert sql.startswith("\\set ON_ERROR_STOP on")
    for role in ("app_api", "platform_monitoring", "platform_backup"):
        assert f"WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') \\gexec" in sql
        alter = f"ALTER ROLE {role} WITH LOGIN NOCREATEDB NOCREATEROLE"
        assert f"{alter} PASSWORD :'password';" in sql
        assert f"\\set password `cat /secrets/roles/{role}`" in sql
    assert f"GRANT {APP_GROUP} TO app_api;" in sql
    assert "ALTER DEFAULT PRIVILEGES FOR ROLE app_api IN SCHEMA public" in sql
    assert "GRANT pg_monitor TO platform_monitoring;" in sql
    assert "GRANT pg_read_all_data TO platform_backup;" in sql
    assert "GRANT pg_monitor TO app_api" not in sql
    # RDS's master is not a superuser: never name the attribute (PostgreSQL 16+ refuses)
    assert "superuser" not in sql.lower()
    # it must be a member of a role to set that role's default privileges (PostgreSQL 16+)
    assert "GRANT app_api TO CURRENT_USER;" in sql
    assert sql.index("GRANT app_api TO CURRENT_USER;") < sql.index(
        "ALTER DEFAULT PRIVILEGES FOR ROLE app_api"
    )


def test_the_job_sets_scram_verifiers_not_passwords(plan: PlanResult) -> None:
    from components.database_roles import scram_verifier

    verifier = scram_verifier("correct horse battery staple")
    assert verifier.startswith("SCRAM-SHA-256$4096:")
    assert verifier == scram_verifier("correct horse battery staple")  # stable across runs
    assert "correct horse" not in verifier
    (passwords,) = [
        e for e in plan.graph.of_type("kubernetes:external-secrets.io/v1:ExternalSecret")
        if e.inputs["metadata"]["name"] == "role-passwords"
    ]  # fmt: skip
    properties = {
        d["secretKey"]: d["remoteRef"]["property"] for d in passwords.inputs["spec"]["data"]
    }
    assert properties.pop("rotation") == "rotation"
    assert set(properties.values()) == {"verifier"}


def test_a_rotation_makes_new_passwords_and_reruns_the_job() -> None:
    def run(rotation: int) -> PlanResult:
        config = stack_config("staging")
        config["platform:database"] = {**config["platform:database"],
                                       "credentialsRotation": rotation}  # fmt: skip
        result = run_stack_config(config, "staging")
        assert result.error is None, result.error
        return result

    before, after = run(0), run(1)
    job_name = lambda p: p.graph.of_type("kubernetes:batch/v1:Job")[0].inputs["metadata"]["name"]  # noqa: E731
    assert job_name(before) != job_name(after)
    keepers = {
        p.inputs["keepers"]["rotation"]
        for p in after.graph.of_type("random:index/randomPassword:RandomPassword")
        if "-db-roles-" in p.name
    }
    assert keepers == {"1"}
    (job,) = after.graph.of_type("kubernetes:batch/v1:Job")
    wait = job.inputs["spec"]["template"]["spec"]["containers"][0]["command"][-1]
    assert '= "1" ]' in wait  # waits until the mounted passwords carry this rotation
    forced = {
        e.inputs["metadata"]["annotations"].get("force-sync")
        for e in after.graph.of_type("kubernetes:external-secrets.io/v1:ExternalSecret")
        if e.inputs["metadata"]["namespace"] in ("apps", "db-admin")
        and e.inputs["metadata"]["name"] != "postgres-master"
    }
    assert forced == {"1"}


def test_consumers_receive_a_new_password_only_after_the_job_set_it(plan: PlanResult) -> None:
    """Rotation order: Secrets Manager -> ALTER ROLE (Job) -> consumers' Secrets -> Reloader."""
    (job,) = plan.graph.of_type("kubernetes:batch/v1:Job")
    consumers = [
        e for e in plan.graph.of_type("kubernetes:external-secrets.io/v1:ExternalSecret")
        if any(f"{plan.stack}/db/" in str(d["remoteRef"]["key"]) for d in e.inputs["spec"]["data"])
        and e.inputs["metadata"]["namespace"] != "db-admin"
    ]  # fmt: skip
    assert len(consumers) == 5  # api, worker, beat, exporter, pg-dump
    versions_ = {
        v.urn for v in plan.graph.of_type("aws:secretsmanager/secretVersion:SecretVersion")
    }
    for external in consumers:
        assert job.urn in external.dependencies, external.name
        assert versions_ & set(external.dependencies), external.name
