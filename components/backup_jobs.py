"""BackupJobs: backups for one environment, in two parts.

- AWS (``components/backups/aws_backup.py``): AWS Backup vaults and plan with DR copies, the
  dump bucket replicated to the DR region, failure events and alarms;
- Kubernetes (``components/backups/dump_jobs.py``): the ``pg-dump`` CronJob and the
  ``restore-check`` CronJob in namespace ``backups``.

One component, so every child keeps its URN; the two parts are mixins that share its name,
args, vault and bucket.
"""

from __future__ import annotations

import pulumi

from .backups.args import BackupJobsArgs
from .backups.aws_backup import (
    BACKUP_FAILURE_PATTERN,
    BACKUP_POLICIES,
    RESTORE_CHECK_NAMESPACE,
    AwsBackupParts,
    backup_alarm_specs,
)
from .backups.dump_jobs import (
    CREDENTIALS,
    NAMESPACE,
    DumpJobParts,
    dump_statements,
    restore_check_statements,
)

__all__ = [
    "BACKUP_FAILURE_PATTERN",
    "BACKUP_POLICIES",
    "CREDENTIALS",
    "NAMESPACE",
    "RESTORE_CHECK_NAMESPACE",
    "BackupJobs",
    "BackupJobsArgs",
    "backup_alarm_specs",
    "dump_statements",
    "restore_check_statements",
]


class BackupJobs(AwsBackupParts, DumpJobParts):
    """Backups for one environment."""

    def __init__(
        self, name: str, args: BackupJobsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("platform:components:BackupJobs", name, None, opts)
        self._name = name
        self._args = args
        key = self._aws()

        self._kubernetes(key)
        self.register_outputs({"vault": self.vault.name, "bucket": self.bucket.bucket})
