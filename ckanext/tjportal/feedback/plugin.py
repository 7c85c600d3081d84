"""The ``tjportal_feedback`` plugin: ratings (我要评价) of datasets and data
services, with their averages in the search index, and error reports (纠错)."""
from __future__ import annotations

from typing import Any

import ckan.plugins as p
import ckan.plugins.toolkit as tk
from ckan.common import CKANConfig

from ckanext.tjportal.feedback import logic
from ckanext.tjportal.feedback.logic.action import summarize_ratings
from ckanext.tjportal.feedback.model import SCORE_FIELDS
from ckanext.tjportal.translation import TjportalTranslation


@tk.blanket.actions(logic.get_actions)
@tk.blanket.auth_functions(logic.get_auth_functions)
@tk.blanket.validators
@tk.blanket.helpers
@tk.blanket.blueprints
@tk.blanket.config_declarations
class TjportalFeedbackPlugin(TjportalTranslation, p.SingletonPlugin):
    p.implements(p.IConfigurer)
    p.implements(p.IPackageController, inherit=True)
    p.implements(p.ITranslation)

    # IConfigurer

    def update_config(self, config: CKANConfig) -> None:
        tk.add_template_directory(config, "templates")

    # IPackageController

    def before_dataset_index(self, pkg_dict: dict[str, Any]) -> dict[str, Any]:
        summary = summarize_ratings([pkg_dict["id"]]).get(pkg_dict["id"])
        if summary is not None:
            # Two decimals with one digit before the point sort the same as
            # text and as numbers.
            pkg_dict["rating_average"] = "%.2f" % summary["average"]
            pkg_dict["rating_count"] = summary["count"]
            for field in SCORE_FIELDS:
                pkg_dict["rating_%s" % field] = "%.2f" % summary[field]
        return pkg_dict

    def after_dataset_search(self, search_results: dict[str, Any], search_params: dict[str, Any]) -> dict[str, Any]:
        # package_search returns the stored dataset dicts, not the index
        # fields, so the result items get their averages here, in one query.
        results = search_results.get("results") or []
        summaries = summarize_ratings([result["id"] for result in results if "id" in result])
        for result in results:
            summary = summaries.get(result.get("id"))
            result["rating_average"] = summary["average"] if summary else None
            result["rating_count"] = summary["count"] if summary else 0
        return search_results
