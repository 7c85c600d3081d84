"""The ``tjportal_developer`` plugin: developer registration with API tokens,
and metered DataStore calls on data services."""
from __future__ import annotations

import ckan.plugins as p
import ckan.plugins.toolkit as tk
from ckan.common import CKANConfig

from ckanext.tjportal.developer.logic import action
from ckanext.tjportal.translation import TjportalTranslation


@tk.blanket.actions(action.get_actions)
@tk.blanket.auth_functions
@tk.blanket.validators
@tk.blanket.helpers
@tk.blanket.blueprints
@tk.blanket.cli
@tk.blanket.config_declarations
class TjportalDeveloperPlugin(TjportalTranslation, p.SingletonPlugin):
    p.implements(p.IConfigurer)
    p.implements(p.ITranslation)

    # IConfigurer

    def update_config(self, config: CKANConfig) -> None:
        tk.add_template_directory(config, "templates")
