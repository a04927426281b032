"""The base of every stack-config model and the shared field types, re-exported from
``components.settings``: the components declare their own settings with the same base, and a
config section extends its component's settings (one definition, one default)."""

from components.settings import (
    LOG_RETENTION_DAYS,
    DailyWindow,
    LogRetentionDays,
    Settings,
    WeeklyWindow,
    daily_window_minutes,
    weekly_window_minutes,
    windows_overlap,
)

ConfigModel = Settings

__all__ = [
    "LOG_RETENTION_DAYS",
    "ConfigModel",
    "DailyWindow",
    "LogRetentionDays",
    "Settings",
    "WeeklyWindow",
    "daily_window_minutes",
    "weekly_window_minutes",
    "windows_overlap",
]
