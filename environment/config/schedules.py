"""Cron schedules, read with ``croniter`` (not a hand-rolled parser): validity, the longest
gap between runs (the RPO of a schedule) and the average runs a day (what a schedule costs).

Kubernetes CronJobs use five fields; AWS Backup uses ``cron(minute hour dom month dow year)``
with ``?`` for "any", read here as the same five fields.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from itertools import pairwise

from croniter import CroniterBadCronError, croniter

_START = datetime(2026, 1, 1, tzinfo=UTC)
"""A fixed reference week/month: the answers never depend on today's date."""


def five_fields(expression: str) -> str:
    """``cron(0 5 ? * * *)`` -> ``0 5 * * *``; a 5-field schedule unchanged."""
    text = expression.strip()
    aws = re.fullmatch(r"cron\((.*)\)", text)
    fields = (aws.group(1) if aws else text).split()
    if aws and len(fields) == 6:
        fields = fields[:5]
    return " ".join("*" if f == "?" else f for f in fields)


def check_cron(expression: str) -> str:
    """A 5-field Kubernetes CronJob schedule, or a clear error naming what is wrong."""
    if len(expression.split()) != 5:
        raise ValueError(
            f"{expression!r} is not a cron schedule: expected 5 fields "
            "(minute hour day-of-month month day-of-week), e.g. '0 * * * *'"
        )
    try:
        croniter(expression)
    except (CroniterBadCronError, ValueError) as error:
        raise ValueError(f"{expression!r} is not a valid schedule: {error}") from None
    return expression


def _runs(expression: str, days: int) -> list[datetime]:
    schedule = croniter(five_fields(expression), _START - timedelta(seconds=1))
    end = _START + timedelta(days=days)
    runs = []
    while (run := schedule.get_next(datetime)) < end:
        runs.append(run)
    return runs


def longest_gap_minutes(expression: str) -> int:
    """The longest time between two runs: over a week for frequent schedules, over a year
    for the rest (so a monthly schedule's longest month counts)."""
    runs = _runs(expression, 8)
    if len(runs) < 16:
        runs = _runs(expression, 366)
    if len(runs) < 2:
        return 366 * 1440
    gap = max((b - a for a, b in pairwise(runs)), default=timedelta())
    return int(gap.total_seconds() // 60)


def runs_per_day(expression: str) -> float:
    """Average runs a day, over four weeks (weekday-only schedules count 5/7)."""
    return len(_runs(expression, 28)) / 28
