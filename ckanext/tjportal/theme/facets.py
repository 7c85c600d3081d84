"""Facets shown on the portal's search pages."""
from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk


def portal_facets() -> dict[str, Any]:
    """Return the facet fields and their translated titles, in display order."""
    return {
        "groups": tk._("Topics"),
        "organization": tk._("Departments"),
        "res_format": tk._("Formats"),
        "update_frequency": tk._("Update frequency"),
        "open_condition": tk._("Open condition"),
    }


# Facets whose values are codes of a schema field's choices. The facet
# lists show the choice labels instead of the codes.
CHOICE_FACETS = ("update_frequency", "open_condition")
