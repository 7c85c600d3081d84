"""The ``tjportal`` plugin: theme, schemas, facets, helpers and the CLI."""
from __future__ import annotations

from typing import Any

import ckan.plugins as p
import ckan.plugins.toolkit as tk
from ckan.common import CKANConfig

from ckanext.tjportal.translation import TjportalTranslation

# Scheming schemas used unless the site configures its own.
DEFAULT_DATASET_SCHEMAS = (
    "ckanext.tjportal:schemas/dataset.yaml "
    "ckanext.tjportal:schemas/dataservice.yaml"
)
DEFAULT_PRESETS = (
    "ckanext.scheming:presets.json ckanext.tjportal:schemas/presets.json"
)


@tk.blanket.helpers
@tk.blanket.validators
@tk.blanket.cli
@tk.blanket.config_declarations
class TjportalPlugin(TjportalTranslation, p.SingletonPlugin):
    p.implements(p.IConfigurer)
    p.implements(p.IFacets, inherit=True)
    p.implements(p.ITranslation)

    # IConfigurer

    def update_config(self, config: CKANConfig) -> None:
        tk.add_template_directory(config, "templates")
        tk.add_public_directory(config, "public")
        tk.add_resource("assets", "ckanext-tjportal")
        if not config.get("scheming.dataset_schemas"):
            config["scheming.dataset_schemas"] = DEFAULT_DATASET_SCHEMAS
        if not config.get("scheming.presets"):
            config["scheming.presets"] = DEFAULT_PRESETS

    # IFacets

    def dataset_facets(
        self, facets_dict: dict[str, Any], package_type: str
    ) -> dict[str, Any]:
        from ckanext.tjportal.theme.facets import portal_facets

        return portal_facets()
