"""Working-day arithmetic shared by the review and response due dates."""
from __future__ import annotations

import datetime

# Monday to Friday, as datetime.date.weekday() numbers them.
WORKING_WEEKDAYS = (0, 1, 2, 3, 4)


def add_working_days(start: datetime.date, days: int) -> datetime.date:
    """Return the date ``days`` working days (Monday to Friday) after ``start``.

    Public holidays and the weekend days China makes working days are not
    known here, so they count as ordinary weekdays and weekends.
    """
    current = start
    added = 0
    while added < days:
        current += datetime.timedelta(days=1)
        if current.weekday() in WORKING_WEEKDAYS:
            added += 1
    return current
