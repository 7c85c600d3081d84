"""Test data shared by the feedback plugin's tests."""
from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk

PLUGINS = "tjportal tjportal_search scheming_datasets datastore tjportal_developer tjportal_feedback"

SCRIPT = "<script>alert('x')</script>"


def scores(**fields: Any) -> dict[str, Any]:
    data = {"accuracy": 5, "satisfaction": 4, "timeliness": 3, "usability": 4}
    data.update(fields)
    return data


def url(endpoint: str, **values: Any) -> str:
    # The English pages, so assertions can use the msgids.
    return "/en" + tk.url_for(endpoint, **values)


def headers(user: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": user["token"]}


def as_user(user: Any = None) -> dict[str, Any]:
    """Return an action context that runs the auth functions as this user,
    or as an anonymous visitor. ``call_action`` skips them by default."""
    return {"user": user["name"] if user else "", "ignore_auth": False}
