"""Actions of the download counts."""
from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import func

import ckan.lib.navl.dictization_functions as dictization_functions
import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.types import Context, DataDict

from ckanext.tjportal.downloads import counting
from ckanext.tjportal.downloads.logic import schema
from ckanext.tjportal.downloads.model import DownloadCount

log = logging.getLogger(__name__)


@tk.side_effect_free
def tjportal_download_stats(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Show how often the resources of a dataset were downloaded.

    Counts still buffered in Redis are not included until the next flush
    (see ``tjportal_download_count_flush``).

    :param id: id or name of the dataset
    :returns: ``package_id``, ``total``, ``formats`` (downloads per format),
        ``resources`` (a list of ``{id, total, formats}``) and ``days`` (a list
        of ``{day, count}``, oldest first)
    """
    tk.check_access("tjportal_download_stats", context, data_dict)
    data, errors = dictization_functions.validate(
        data_dict, context.get("schema") or schema.tjportal_download_stats_schema(), context)
    if errors:
        raise tk.ValidationError(errors)
    package = model.Package.get(data["id"])
    if package is None:
        raise tk.ObjectNotFound(tk._("Dataset not found"))

    by_resource = (
        model.Session.query(DownloadCount.resource_id, DownloadCount.format,
                            func.sum(DownloadCount.count))
        .filter(DownloadCount.package_id == package.id)
        .group_by(DownloadCount.resource_id, DownloadCount.format)
    )
    resources: dict[str, dict[str, Any]] = {}
    formats: dict[str, int] = {}
    for resource_id, fmt, count in by_resource:
        entry = resources.setdefault(resource_id, {"id": resource_id, "total": 0, "formats": {}})
        entry["formats"][fmt] = int(count)
        entry["total"] += int(count)
        formats[fmt] = formats.get(fmt, 0) + int(count)

    by_day = (
        model.Session.query(DownloadCount.day, func.sum(DownloadCount.count))
        .filter(DownloadCount.package_id == package.id)
        .group_by(DownloadCount.day)
        .order_by(DownloadCount.day)
    )
    return {
        "package_id": package.id,
        "total": sum(formats.values()),
        "formats": formats,
        "resources": sorted(resources.values(), key=lambda entry: entry["id"]),
        "days": [{"day": day.isoformat(), "count": int(count)} for day, count in by_day],
    }


def tjportal_download_count_flush(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Write the download counts buffered in Redis to PostgreSQL (sysadmins
    only). Returns the number of rows written under ``rows``."""
    tk.check_access("tjportal_download_count_flush", context, data_dict)
    return {"rows": counting.flush()}
