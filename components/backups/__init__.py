"""The two parts of ``components.backup_jobs.BackupJobs``."""
