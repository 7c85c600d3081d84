"""Load the demo FAQ (常见问题) file through the feedback plugin's actions.

The file is a UTF-8 CSV with the columns category, position, question and
answer. A question already in the FAQ with the same text is updated instead
of added again, so a rerun never duplicates anything.
"""
from __future__ import annotations

import csv
import logging
import pathlib
from typing import Any

import ckan.model as model
import ckan.plugins as plugins
import ckan.plugins.toolkit as tk

from ckanext.tjportal.theme.loader import LoadReport, Problem, StepCounts, format_validation_error

log = logging.getLogger(__name__)

FAQ_PLUGIN = "tjportal_feedback"
FAQ_COLUMNS = ("category", "position", "question", "answer")


def load_faq(path: pathlib.Path) -> LoadReport:
    """Add or update the questions of a FAQ file, as the site user.

    Raises RuntimeError if the tjportal_feedback plugin, which owns the
    FAQ, is not loaded.
    """
    if not plugins.plugin_loaded(FAQ_PLUGIN):
        raise RuntimeError("the {} plugin is not loaded".format(FAQ_PLUGIN))

    site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})
    context = {"user": site_user["name"]}
    existing = {
        faq["question"]: faq
        for faq in tk.get_action("tjportal_faq_list")(dict(context), {})
    }

    report = LoadReport()
    counts = report.steps.setdefault(path.name, StepCounts())
    with path.open(encoding="utf-8", newline="") as stream:
        reader = csv.DictReader(stream)
        missing = [column for column in FAQ_COLUMNS if column not in (reader.fieldnames or [])]
        if missing:
            _fail(report, counts, path.name, 0, "missing columns: {}".format(", ".join(missing)))
            return report

        for row in reader:
            data = {column: (row.get(column) or "").strip() for column in FAQ_COLUMNS}
            current = existing.get(data["question"])
            try:
                if current is None:
                    created = tk.get_action("tjportal_faq_create")(dict(context), data)
                    existing[created["question"]] = created
                    counts.loaded += 1
                elif _changed(current, data):
                    tk.get_action("tjportal_faq_update")(dict(context), dict(data, id=current["id"]))
                    counts.updated += 1
            except tk.ValidationError as error:
                _fail(report, counts, path.name, reader.line_num, format_validation_error(error))

    log.info("FAQ loaded from %s: %d new, %d updated, %d failed",
             path, counts.loaded, counts.updated, counts.failed)
    return report


def _changed(current: dict[str, Any], data: dict[str, str]) -> bool:
    return any(str(current[column]) != data[column] for column in FAQ_COLUMNS)


def _fail(report: LoadReport, counts: StepCounts, file_name: str, line: int, reason: str) -> None:
    # A failed action may leave the session in an aborted transaction.
    model.Session.rollback()
    counts.failed += 1
    report.problems.append(Problem(file_name, line, reason))
    log.warning("Cannot load %s line %s: %s", file_name, line, reason)
