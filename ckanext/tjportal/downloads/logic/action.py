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

    Counts still buffered in Redis are included, so a download shows at
    once, before ``tjportal_download_count_flush`` writes it to PostgreSQL.

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

    stored = (
        model.Session.query(DownloadCount.resource_id, DownloadCount.format, DownloadCount.day,
                            func.sum(DownloadCount.count))
        .filter(DownloadCount.package_id == package.id)
        .group_by(DownloadCount.resource_id, DownloadCount.format, DownloadCount.day)
    )
    counts = counting.pending_counts(package.id)
    for resource_id, fmt, day, count in stored:
        counts[(resource_id, fmt, day)] = counts.get((resource_id, fmt, day), 0) + int(count)

    resources: dict[str, dict[str, Any]] = {}
    formats: dict[str, int] = {}
    days: dict[Any, int] = {}
    for (resource_id, fmt, day), count in counts.items():
        entry = resources.setdefault(resource_id, {"id": resource_id, "total": 0, "formats": {}})
        entry["formats"][fmt] = entry["formats"].get(fmt, 0) + count
        entry["total"] += count
        formats[fmt] = formats.get(fmt, 0) + count
        days[day] = days.get(day, 0) + count
    return {
        "package_id": package.id,
        "total": sum(formats.values()),
        "formats": formats,
        "resources": sorted(resources.values(), key=lambda entry: entry["id"]),
        "days": [{"day": day.isoformat(), "count": count} for day, count in sorted(days.items())],
    }


def tjportal_download_count_flush(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Write the download counts buffered in Redis to PostgreSQL (sysadmins
    only). Returns the number of rows written under ``rows``."""
    tk.check_access("tjportal_download_count_flush", context, data_dict)
    return {"rows": counting.flush()}
