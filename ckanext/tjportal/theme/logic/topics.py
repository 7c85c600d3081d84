"""Topic (CKAN group) choices for the ``groups`` field of the portal schemas."""
from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk


def topic_choices(field: dict[str, Any]) -> list[dict[str, str]]:
    """Return every topic as a scheming choice, ``{"value": name, "label": title}``.

    Meant as the body of the ``tjportal_topic_choices`` template helper that
    the schemas name as ``choices_helper``. Sorted by title so the form lists
    topics in a stable order.
    """
    # group_list returns at most ckan.group_and_organization_list_all_fields_max
    # groups per call when all_fields is set, so read page by page.
    page_size = tk.config.get("ckan.group_and_organization_list_all_fields_max")
    groups: list[dict[str, Any]] = []
    while True:
        page = tk.get_action("group_list")({}, {
            "all_fields": True, "type": "group", "sort": "title asc",
            "limit": page_size, "offset": len(groups),
        })
        groups.extend(page)
        if len(page) < page_size:
            break
    return [
        {"value": group["name"], "label": group.get("display_name") or group["name"]}
        for group in groups
    ]
