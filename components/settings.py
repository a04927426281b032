"""The base of every settings model: a component's settings and the stack-config sections
that extend them.

Stack files use Pulumi's camelCase keys (``azCount``); Python code uses snake_case
(``az_count``). Every model is frozen and rejects unknown keys, so a typo in a stack file is an
error, not a silently ignored setting.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class Settings(BaseModel):
    """Base class: frozen, ``extra="forbid"``, camelCase aliases for stack-file keys."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        validate_default=True,
        use_attribute_docstrings=True,
    )


# CloudWatch Logs only accepts these retention values (PutRetentionPolicy).
LOG_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
    2922, 3288, 3653,
)  # fmt: skip


def _check_log_retention(days: int) -> int:
    if days not in LOG_RETENTION_DAYS:
        allowed = ", ".join(str(d) for d in LOG_RETENTION_DAYS)
        raise ValueError(f"{days} is not a CloudWatch Logs retention; allowed: {allowed}")
    return days


LogRetentionDays = Annotated[int, AfterValidator(_check_log_retention)]
"""Days of CloudWatch Logs retention, restricted to the values the API accepts."""

_WINDOW = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$")
_WEEKLY_WINDOW = re.compile(
    r"^(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):([0-5]\d)-"
    r"(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):([0-5]\d)$"
)
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def daily_window_minutes(window: str) -> tuple[int, int]:
    """``"03:00-04:00"`` -> (180, 240) minutes after midnight UTC (end may pass midnight)."""
    m = _WINDOW.match(window)
    if not m:
        raise ValueError(f"{window!r} is not a daily window; expected HH:MM-HH:MM (UTC)")
    start = int(m[1]) * 60 + int(m[2])
    end = int(m[3]) * 60 + int(m[4])
    if end <= start:
        end += 24 * 60
    return start, end


def weekly_window_minutes(window: str) -> tuple[int, int]:
    """``"sun:04:30-sun:05:30"`` -> minutes after Monday 00:00 UTC (end may wrap the week)."""
    m = _WEEKLY_WINDOW.match(window)
    if not m:
        raise ValueError(
            f"{window!r} is not a weekly window; expected ddd:HH:MM-ddd:HH:MM (UTC), "
            f"ddd one of {', '.join(_DAYS)}"
        )
    start = _DAYS.index(m[1]) * 1440 + int(m[2]) * 60 + int(m[3])
    end = _DAYS.index(m[4]) * 1440 + int(m[5]) * 60 + int(m[6])
    if end <= start:
        end += 7 * 1440
    return start, end


def _check_daily(window: str) -> str:
    start, end = daily_window_minutes(window)
    if end - start < 30:
        raise ValueError(f"{window!r} is shorter than the 30 minutes AWS requires")
    return window


def _check_weekly(window: str) -> str:
    start, end = weekly_window_minutes(window)
    if end - start < 30:
        raise ValueError(f"{window!r} is shorter than the 30 minutes AWS requires")
    return window


DailyWindow = Annotated[str, AfterValidator(_check_daily)]
"""A daily UTC window ``HH:MM-HH:MM`` of at least 30 minutes (backup/snapshot windows)."""

WeeklyWindow = Annotated[str, AfterValidator(_check_weekly)]
"""A weekly UTC window ``ddd:HH:MM-ddd:HH:MM`` of at least 30 minutes (maintenance windows)."""


def windows_overlap(daily: str, weekly: str) -> bool:
    """True when a daily window overlaps a weekly window on any day of the week."""
    d_start, d_end = daily_window_minutes(daily)
    w_start, w_end = weekly_window_minutes(weekly)
    week = 7 * 1440
    for day in range(8):  # day 7 catches a daily window that spills into next Monday
        s, e = day * 1440 + d_start, day * 1440 + d_end
        for shift in (-week, 0, week):
            if s < w_end + shift and w_start + shift < e:
                return True
    return False
