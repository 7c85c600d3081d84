"""Opening and closing times of surveys: parsed from and shown in the
feedback time zone, stored as naive UTC."""
from __future__ import annotations

import datetime
from typing import Any, Optional
from zoneinfo import ZoneInfo

import ckan.plugins.toolkit as tk
from ckan.types import Context

DISPLAY_FORMAT = "%Y-%m-%d %H:%M"
# The value format of an HTML datetime-local input.
INPUT_FORMAT = "%Y-%m-%dT%H:%M"


def zone() -> ZoneInfo:
    return ZoneInfo(tk.config.get("ckanext.tjportal.feedback.timezone"))


def _parse(value: Any, end_of_day: bool) -> datetime.datetime:
    """Return the naive UTC time of a local date or date and time.

    A date alone means the start of that day, or with ``end_of_day`` the
    start of the next day, so a survey closing on a date takes answers
    during all of it.
    """
    if isinstance(value, datetime.datetime):
        moment = value
    else:
        text = str(value).strip()
        try:
            moment = datetime.datetime.fromisoformat(text)
        except ValueError:
            raise tk.Invalid(tk._(
                "Invalid date: {value}. Use YYYY-MM-DD or YYYY-MM-DD HH:MM."
            ).format(value=text[:40]))
        if end_of_day and len(text) == len("YYYY-MM-DD"):
            moment += datetime.timedelta(days=1)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone())
    return moment.astimezone(datetime.timezone.utc).replace(tzinfo=None)


def survey_opens(value: Any, context: Context) -> datetime.datetime:
    return _parse(value, end_of_day=False)


def survey_closes(value: Any, context: Context) -> datetime.datetime:
    return _parse(value, end_of_day=True)


def _local(moment: datetime.datetime) -> datetime.datetime:
    return moment.replace(tzinfo=datetime.timezone.utc).astimezone(zone())


def display(moment: Optional[datetime.datetime]) -> str:
    """Format a stored UTC time in the feedback time zone for pages and exports."""
    return _local(moment).strftime(DISPLAY_FORMAT) if moment else ""


def input_value(moment: Optional[datetime.datetime]) -> str:
    """Format a stored UTC time as the value of a datetime-local input."""
    return _local(moment).strftime(INPUT_FORMAT) if moment else ""
