"""Template helpers of the developer plugin."""
from __future__ import annotations

import ckan.plugins.toolkit as tk

from ckanext.tjportal.developer import metering


def tjportal_developer_state_label(state: str) -> str:
    """Return the translated label of a registration state."""
    labels = {
        "pending": tk._("Pending review"),
        "approved": tk._("Approved"),
        "rejected": tk._("Rejected"),
        "revoked": tk._("Revoked"),
    }
    return labels.get(state, state)


def tjportal_developer_daily_quota() -> int:
    """Return the number of metered calls a developer may make per day."""
    return metering.daily_quota()
