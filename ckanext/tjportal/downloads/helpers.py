"""Template helpers of the downloads plugin."""
from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk

from ckanext.tjportal.downloads import dump


def tjportal_download_total(package_id: str) -> int | None:
    """Return the number of downloads of a dataset's resources, or None
    when the current user may not read them."""
    try:
        stats = tk.get_action("tjportal_download_stats")({}, {"id": package_id})
    except (tk.NotAuthorized, tk.ObjectNotFound, tk.ValidationError):
        return None
    return stats["total"]


def tjportal_download_links(resource: dict[str, Any]) -> list[dict[str, str]]:
    """Return the download menu of a resource: ``{label, format, url}`` for
    the original file (when there is one) and each DataStore format."""
    links = []
    if resource.get("url") and resource.get("url_type") != "datastore":
        links.append({"label": "", "format": "original", "url": resource["url"]})
    if resource.get("datastore_active"):
        for fmt in dump.DOWNLOAD_FORMATS:
            links.append({
                "label": fmt.upper(),
                "format": fmt,
                "url": tk.h.url_for(dump.DUMP_ENDPOINT, resource_id=resource["id"], format=fmt),
            })
    return links
