"""The ``tjportal_search`` plugin: CKAN search on PostgreSQL instead of Solr."""
from __future__ import annotations

import ckan.plugins as p
import ckan.plugins.toolkit as tk
from ckan.common import CKANConfig

from ckanext.tjportal.search.backend import connection
from ckanext.tjportal.translation import TjportalTranslation


@tk.blanket.config_declarations
@tk.blanket.actions
@tk.blanket.cli
class TjportalSearchPlugin(TjportalTranslation, p.SingletonPlugin):
    p.implements(p.IConfigurer)
    p.implements(p.ITranslation)

    # IConfigurer

    def update_config(self, config: CKANConfig) -> None:
        # update_config runs before CKAN checks the Solr schema at start-up,
        # so the backend is in place before anything asks for a connection.
        connection.install()
