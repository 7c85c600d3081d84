"""Due dates counted in working days (Monday to Friday).

Public holidays and the weekend days China makes working days are not
known here, so they count as ordinary weekdays and weekends.
"""
from __future__ import annotations

import datetime
from typing import Optional
from zoneinfo import ZoneInfo

import ckan.plugins.toolkit as tk

from ckanext.tjportal.workdays import add_working_days


def today(now: Optional[datetime.datetime] = None) -> datetime.date:
    """Return the current day in the feedback time zone."""
    zone = ZoneInfo(tk.config.get("ckanext.tjportal.feedback.timezone"))
    return (now or datetime.datetime.now(datetime.timezone.utc)).astimezone(zone).date()


def due_date(submitted: Optional[datetime.date] = None) -> datetime.date:
    """Return the due date of the first response to an item submitted on
    ``submitted`` (default today)."""
    days = tk.config.get("ckanext.tjportal.feedback.response_working_days")
    return add_working_days(submitted or today(), days)


def is_overdue(due: datetime.date, answered: bool) -> bool:
    """Tell whether an unanswered item is past its due date."""
    return not answered and today() > due
