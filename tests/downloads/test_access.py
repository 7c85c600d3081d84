"""Tests of the data-service token rule of this plugin, which applies on
sites that do not load tjportal_developer."""
from __future__ import annotations

import pytest

import ckan.plugins.toolkit as tk

from .conftest import PLUGINS_WITHOUT_DEVELOPER

pytestmark = [
    pytest.mark.ckan_config("ckan.plugins", PLUGINS_WITHOUT_DEVELOPER),
    pytest.mark.usefixtures("with_plugins", "clean_db", "clean_redis"),
]


def _dump(app, resource_id, status=200, **params):
    url = "/en" + tk.url_for("datastore.dump", resource_id=resource_id, **params)
    return app.get(url, status=status)


class TestDataserviceRuleWithoutDeveloperPlugin:
    @pytest.mark.parametrize("fmt", ["csv", "json", "xlsx"])
    def test_anonymous_dump_refused(self, app, catalogue, fmt):
        response = _dump(app, catalogue["service_resource"]["id"], format=fmt, status=403)
        assert "developer registration is not enabled" in " ".join(response.body.split())

    @pytest.mark.ckan_config("ckanext.tjportal.dataservice.require_token", "false")
    def test_rule_off_allows_dump(self, app, catalogue):
        _dump(app, catalogue["service_resource"]["id"], format="xlsx")
