"""Actions of the tjportal_search plugin."""
from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from ckan.types import Action, Context, DataDict

# package_search parameters that CKAN validates as numbers.
_NUMBER_PARAMETERS = ("rows", "start", "facet.mincount", "facet.limit")


@tk.chained_action
@tk.side_effect_free
def package_search(up_func: Action, context: Context, data_dict: DataDict) -> Any:
    """Run CKAN's package_search with blank number parameters left out.

    CKAN 2.12.0 checks ``start`` and ``facet.mincount`` (and ``rows`` made of
    spaces) with ``natural_number_validator``, which raises TypeError for
    blank text, so a request such as ``?start=`` failed with a 500. Leaving
    such a parameter out applies its default, as for a missing one.
    """
    # TODO: remove this action once CKAN's natural_number_validator handles
    # blank values (it raises TypeError in 2.12.0).
    cleaned = {
        key: value for key, value in data_dict.items()
        if not (key in _NUMBER_PARAMETERS and isinstance(value, str) and not value.strip())
    }
    return up_func(context, cleaned)
