"""Fixtures shared by every test of the bundle."""
from __future__ import annotations

import pytest

import ckan.plugins as p

# Plugins whose tables come from their own alembic migrations, in the order
# `ckan db upgrade -p NAME` must apply them.
MIGRATED_PLUGINS = ["tjportal_search", "tjportal_developer", "tjportal_downloads", "tjportal_feedback"]


@pytest.fixture
def clean_db(with_plugins, reset_db, migrate_db_for):
    """Empty the database, then apply the migrations of our plugins.

    The plugins are loaded first because ``migrate_db_for`` only finds the
    migrations of a loaded plugin.
    """
    reset_db()
    for plugin in MIGRATED_PLUGINS:
        # Tests that load a subset of the plugins get only their tables.
        if p.plugin_loaded(plugin):
            migrate_db_for(plugin)
    # CKAN's reset empties only the tables in its own metadata, so the
    # search documents of earlier tests would otherwise still be found.
    if p.plugin_loaded("tjportal_search"):
        import ckan.lib.search as search

        search.clear_all()
