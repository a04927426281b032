"""BackupJobs' Kubernetes part, in namespace ``backups``:

- ``pg-dump``: a CronJob that dumps the database in custom format into a scratch volume (init
  container, postgres client of the engine's major) and uploads it with SSE-KMS to
  ``s3://<bucket>/<env>/postgres/<timestamp>.dump`` (aws-cli container) through a role that
  may only ``s3:PutObject`` under that prefix;
- ``restore-check``: a CronJob that runs components/scripts/restore_check.py (mounted from a
  ConfigMap) to fetch the newest dump, fail when it is older than the RPO or empty, publish
  ``Platform/Backups`` metrics, then ``pg_restore --list`` it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from .. import versions
from .._shared import (
    RDS_CA_DIR,
    RDS_CA_FILE,
    RDS_CA_VOLUME,
    external_secret,
    rds_ca_init_container,
    rds_ca_volume,
)
from .._util import Statement
from ..app_deployment import container_security_context
from ..app_namespace import database_client_namespace, pod_security_context
from ..iam_roles import service_account_role
from .args import BackupJobsArgs

NAMESPACE = "backups"
CREDENTIALS = "postgres-credentials"
RESTORE_CHECK_SOURCE = Path(__file__).resolve().parents[1] / "scripts" / "restore_check.py"
UID = 10001


class DumpJobParts(pulumi.ComponentResource):
    """The dump and the restore check (mixed into ``BackupJobs``, which owns the URNs)."""

    _name: str
    _args: BackupJobsArgs
    bucket: aws.s3.Bucket

    def _kubernetes(self, key: aws.kms.Key) -> None:
        a = self._args
        name = self._name
        namespace = database_client_namespace(
            name,
            NAMESPACE,
            data_subnet_cidrs=a.data_subnet_cidrs,
            provider=a.k8s_provider,
            parent=self,
            egress_policy="backup-egress",
            kubernetes_version=a.kubernetes_version,
        )
        scoped = pulumi.ResourceOptions(
            parent=self, provider=a.k8s_provider, depends_on=[namespace]
        )
        credentials = external_secret(
            f"{name}-credentials",
            namespace=NAMESPACE,
            secret=CREDENTIALS,
            store=a.secret_store,
            data={
                "PGUSER": (a.database_secret, "username"),
                "PGPASSWORD": (a.database_secret, "password"),
            },
            annotations={"force-sync": str(a.credentials_rotation)},
            opts=pulumi.ResourceOptions(
                parent=self,
                provider=a.k8s_provider,
                depends_on=[namespace, *a.ready, *a.credentials_ready],
            ),
        )
        self._identities(key, scoped)
        script = k8s.core.v1.ConfigMap(
            f"{name}-restore-check-script",
            metadata={"name": "restore-check", "namespace": NAMESPACE},
            data={"restore_check.py": RESTORE_CHECK_SOURCE.read_text()},
            opts=scoped,
        )
        env_vars = pulumi.Output.all(self.bucket.bucket, key.arn, a.database_host, a.database_name)
        dump_spec: Any = env_vars.apply(lambda v: self._dump_job(v[0], v[1], v[2], v[3]))
        check_spec: Any = env_vars.apply(lambda v: self._check_job(v[0]))
        for job, spec, extra in (
            ("pg-dump", dump_spec, [credentials]),
            ("restore-check", check_spec, [script, credentials]),
        ):
            k8s.batch.v1.CronJob(
                f"{name}-{job}",
                metadata={
                    "name": job,
                    "namespace": NAMESPACE,
                    "labels": {"app.kubernetes.io/name": job},
                },
                spec=spec,
                opts=pulumi.ResourceOptions(
                    parent=self, provider=a.k8s_provider, depends_on=[namespace, *extra]
                ),
            )

    def _identities(self, key: aws.kms.Key, scoped: pulumi.ResourceOptions) -> None:
        """pg-dump may put under ``<env>/postgres/``; the restore check may read there; each
        through its own IRSA role and ServiceAccount."""
        a, name, env = self._args, self._name, self._args.environment
        prefix = f"{env}/postgres/"
        dump_role = service_account_role(
            f"{name}-pg-dump",
            oidc=a.oidc,
            namespace=NAMESPACE,
            service_account="pg-dump",
            statements=pulumi.Output.all(self.bucket.arn, key.arn).apply(
                lambda v: dump_statements(v[0], v[1], prefix)
            ),
            parent=self,
        )
        check_role = service_account_role(
            f"{name}-restore-check",
            oidc=a.oidc,
            namespace=NAMESPACE,
            service_account="restore-check",
            statements=pulumi.Output.all(self.bucket.arn, key.arn).apply(
                lambda v: restore_check_statements(v[0], v[1], prefix)
            ),
            parent=self,
        )
        for sa, role in (("pg-dump", dump_role), ("restore-check", check_role)):
            k8s.core.v1.ServiceAccount(
                f"{name}-{sa}-sa",
                metadata={
                    "name": sa,
                    "namespace": NAMESPACE,
                    "annotations": {"eks.amazonaws.com/role-arn": role.arn},
                },
                automount_service_account_token=False,
                opts=scoped,
            )

    def _pod(
        self,
        service_account: str,
        init: dict[str, Any],
        main: dict[str, Any],
        volumes: list[dict[str, Any]],
    ) -> dict[str, Any]:
        return {
            "serviceAccountName": service_account,
            "automountServiceAccountToken": False,
            "restartPolicy": "Never",
            "securityContext": pod_security_context(UID),
            "initContainers": [init],
            "containers": [main],
            "volumes": volumes,
        }

    def _container(
        self,
        name: str,
        image: str,
        command: list[str],
        env: list[dict[str, Any]],
        mounts: list[dict[str, Any]],
        env_from: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        container: dict[str, Any] = {
            "name": name,
            "image": image,
            "command": command,
            "env": [{"name": "HOME", "value": "/tmp"}, *env],
            "securityContext": container_security_context(),
            "resources": {
                "requests": {"cpu": "250m", "memory": "256Mi", "ephemeral-storage": "512Mi"},
                "limits": {"cpu": "1", "memory": "1Gi", "ephemeral-storage": "1Gi"},
            },
            "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}, *mounts],
        }
        if env_from:
            container["envFrom"] = env_from
        return container

    def _job_spec(self, schedule: str, pod: dict[str, Any], deadline: int) -> dict[str, Any]:
        return {
            "schedule": schedule,
            "timeZone": "Etc/UTC",
            "concurrencyPolicy": "Forbid",
            "startingDeadlineSeconds": 600,
            # finished pods keep their dump volume until the Job goes: keep few
            "successfulJobsHistoryLimit": 1,
            "failedJobsHistoryLimit": 1,
            "jobTemplate": {
                "spec": {
                    "backoffLimit": 2,
                    "activeDeadlineSeconds": deadline,
                    "ttlSecondsAfterFinished": 86400,
                    "template": {
                        "metadata": {"labels": {"app.kubernetes.io/part-of": "backups"}},
                        "spec": pod,
                    },
                }
            },
        }

    def _volumes(self) -> list[dict[str, Any]]:
        """``/tmp`` in memory-backed node storage; the dump on its own gp3 volume, created for
        the run and deleted with the pod (a node's 50 GiB root disk cannot hold the dump of a
        database allowed to grow to a terabyte)."""
        a = self._args
        return [
            {"name": "tmp", "emptyDir": {"sizeLimit": "256Mi"}},
            {
                "name": "dump",
                "ephemeral": {
                    "volumeClaimTemplate": {
                        "metadata": {"labels": {"app.kubernetes.io/part-of": "backups"}},
                        "spec": {
                            "accessModes": ["ReadWriteOnce"],
                            "storageClassName": a.storage_class,
                            "resources": {"requests": {"storage": f"{a.dump_volume_gib}Gi"}},
                        },
                    }
                },
            },
        ]

    def _dump_job(self, bucket: str, key_arn: str, host: str, database: str) -> dict[str, Any]:
        a = self._args
        dump_mount = [{"name": "dump", "mountPath": "/dump"}]
        pg = [
            {"name": "PGHOST", "value": host},
            {"name": "PGDATABASE", "value": database},
            {"name": "PGSSLMODE", "value": "verify-full"},
            {"name": "PGSSLROOTCERT", "value": RDS_CA_FILE},
        ]
        init = self._container(
            "pg-dump",
            versions.postgres_client_image(self._args.engine_version),
            ["pg_dump", "--format=custom", "--compress=6", "--no-owner", "--file=/dump/db.dump"],
            pg,
            [*dump_mount, {"name": RDS_CA_VOLUME, "mountPath": RDS_CA_DIR, "readOnly": True}],
            env_from=[{"secretRef": {"name": CREDENTIALS}}],
        )
        upload = self._container(
            "upload",
            versions.AWS_CLI_IMAGE.version,
            [
                "/bin/sh",
                "-ec",
                (
                    "test -s /dump/db.dump; "
                    'aws s3 cp /dump/db.dump "s3://$BUCKET/$PREFIX$(date -u +%Y%m%dT%H%M%SZ).dump" '
                    '--sse aws:kms --sse-kms-key-id "$KMS_KEY" --only-show-errors'
                ),
            ],
            [
                {"name": "BUCKET", "value": bucket},
                {"name": "PREFIX", "value": f"{a.environment}/postgres/"},
                {"name": "KMS_KEY", "value": key_arn},
                {"name": "AWS_REGION", "value": a.region},
            ],
            dump_mount,
        )
        pod = self._pod("pg-dump", init, upload, [*self._volumes(), rds_ca_volume()])
        pod["initContainers"].insert(
            0,
            rds_ca_init_container(
                a.region, versions.PYTHON_BOTO3_IMAGE.version, container_security_context()
            ),
        )
        return self._job_spec(a.pg_dump_schedule, pod, 3000)

    def _check_job(self, bucket: str) -> dict[str, Any]:
        """fetch (newest dump, age; publishes only failures) -> pg_restore --list (the restore
        test, its table of contents to a file) -> report (``RestoreCheckSucceeded=1`` only
        now, after the test passed)."""
        a = self._args
        mounts = [{"name": "dump", "mountPath": "/dump"}]
        script = {"name": "script", "mountPath": "/opt/restore-check", "readOnly": True}
        common = [
            "python3", "/opt/restore-check/restore_check.py",
            "--bucket", bucket, "--environment", a.environment,
            "--max-age-minutes", str(a.max_dump_age_minutes),
            "--region", a.region, "--publish-metrics",
        ]  # fmt: skip
        fetch = self._container(
            "fetch",
            versions.PYTHON_BOTO3_IMAGE.version,
            [*common, "--download", "/dump/latest.dump"],
            [],
            [*mounts, script],
        )
        verify = self._container(
            "pg-restore-list",
            versions.postgres_client_image(a.engine_version),
            ["/bin/sh", "-ec", "pg_restore --list /dump/latest.dump > /dump/toc.txt"],
            [],
            mounts,
        )
        report = self._container(
            "report",
            versions.PYTHON_BOTO3_IMAGE.version,
            [*common, "--verified-toc", "/dump/toc.txt"],
            [],
            [*mounts, script],
        )
        volumes = [*self._volumes(), {"name": "script", "configMap": {"name": "restore-check"}}]
        pod = self._pod("restore-check", fetch, report, volumes)
        pod["initContainers"].append(verify)
        return self._job_spec(a.restore_check_schedule, pod, 3600)


def dump_statements(bucket_arn: str, key_arn: str, prefix: str) -> list[Statement]:
    """pg-dump may only write objects under its prefix (and use the bucket key to do so)."""
    return [
        {"Sid": "PutDumps", "Effect": "Allow", "Action": "s3:PutObject",
         "Resource": f"{bucket_arn}/{prefix}*"},
        {"Sid": "EncryptDumps", "Effect": "Allow",
         "Action": ["kms:GenerateDataKey", "kms:Decrypt"], "Resource": key_arn},
    ]  # fmt: skip


def restore_check_statements(bucket_arn: str, key_arn: str, prefix: str) -> list[Statement]:
    """restore-check reads and lists the prefix and publishes its two metrics."""
    return [
        {"Sid": "ReadDumps", "Effect": "Allow", "Action": "s3:GetObject",
         "Resource": f"{bucket_arn}/{prefix}*"},
        {"Sid": "ListDumps", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": bucket_arn,
         "Condition": {"StringLike": {"s3:prefix": [f"{prefix}*"]}}},
        {"Sid": "DecryptDumps", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": key_arn},
        {"Sid": "Metrics", "Effect": "Allow", "Action": "cloudwatch:PutMetricData",
         "Resource": "*",
         "Condition": {"StringEquals": {"cloudwatch:namespace": "Platform/Backups"}}},
    ]  # fmt: skip
