"""Counting of downloads: DataStore dumps in each format and the original
file of a resource."""
from __future__ import annotations

import logging

from flask import Blueprint, Response

import ckan.plugins.toolkit as tk

from ckanext.tjportal.downloads import access, counting, dump

log = logging.getLogger(__name__)

tjportal_downloads = Blueprint("tjportal_downloads", __name__)

# Format name under which downloads of a resource's own file are counted.
ORIGINAL_FORMAT = "original"

# The resource download view returns 200 for an upload and a
# redirect for a link; both count as a download of the original file.
ORIGINAL_STATUSES = (200, 301, 302, 303, 307, 308)


def _counted_format() -> str | None:
    endpoint = tk.request.endpoint or ""
    if endpoint == dump.DUMP_ENDPOINT:
        fmt = dump.requested_format()
        return fmt if fmt in dump.DOWNLOAD_FORMATS else None
    # Each dataset type has its own resource blueprint: dataset_resource,
    # dataservice_resource, and so on.
    if endpoint.endswith("resource.download"):
        return ORIGINAL_FORMAT
    return None


@tjportal_downloads.after_app_request
def _count_download(response: Response) -> Response:
    fmt = _counted_format()
    if fmt is None:
        return response
    allowed = (200,) if fmt != ORIGINAL_FORMAT else ORIGINAL_STATUSES
    if response.status_code not in allowed:
        return response
    resource_id = (tk.request.view_args or {}).get("resource_id", "")
    resource, package = access.resource_and_package(resource_id)
    if resource is None or package is None:
        return response
    try:
        counting.record_download(resource.id, package.id, fmt)
    except Exception:
        # A Redis outage must not fail the download itself.
        log.exception("Counting a %s download of resource %s failed", fmt, resource.id)
    return response
