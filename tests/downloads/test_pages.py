"""Tests of the download menu on resource pages and the download total on
dataset pages."""
from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

import ckan.plugins.toolkit as tk
from ckan.tests.helpers import call_action

from .conftest import PLUGINS

pytestmark = [
    pytest.mark.ckan_config("ckan.plugins", PLUGINS),
    pytest.mark.usefixtures("with_plugins", "clean_db", "clean_redis"),
]


def _menu(app, dataset, resource):
    url = tk.url_for("dataset_resource.read", id=dataset["name"], resource_id=resource["id"])
    page = BeautifulSoup(app.get(url).body, "html.parser")
    return page.select(".tjportal-download-menu a")


class TestDownloadMenu:
    def test_menu_offers_original_and_every_format(self, app, catalogue):
        links = _menu(app, catalogue["dataset"], catalogue["resource"])
        assert [link["data-format"] for link in links] == ["original", "csv", "tsv", "json", "xml", "xlsx"]
        assert links[0].get_text(strip=True) == "原始文件"
        assert links[0]["href"] == catalogue["resource"]["url"]
        assert [link.get_text(strip=True) for link in links[1:]] == ["CSV", "TSV", "JSON", "XML", "XLSX"]
        assert links[5]["href"].endswith("/datastore/dump/{}?format=xlsx".format(catalogue["resource"]["id"]))

    def test_menu_links_download(self, app, catalogue):
        links = _menu(app, catalogue["dataset"], catalogue["resource"])
        assert len(links) == 6
        for link in links[1:]:
            app.get(link["href"], status=200)

    def test_resource_name_escaped(self, app, catalogue):
        call_action("resource_patch", id=catalogue["resource"]["id"], name="<script>alert(1)</script>")
        url = tk.url_for("dataset_resource.read", id=catalogue["dataset"]["name"],
                         resource_id=catalogue["resource"]["id"])
        body = app.get(url).body
        assert "<script>alert(1)</script>" not in body

    def test_dataservice_keeps_core_menu(self, app, catalogue):
        assert _menu(app, catalogue["service"], catalogue["service_resource"]) == []


class TestDownloadTotal:
    def test_dataset_page_shows_total(self, app, catalogue):
        resource_id = catalogue["resource"]["id"]
        for fmt in ("csv", "xlsx"):
            app.get(tk.url_for("datastore.dump", resource_id=resource_id, format=fmt))
        call_action("tjportal_download_count_flush", context={"ignore_auth": True})
        page = BeautifulSoup(app.get(tk.url_for("dataset.read", id=catalogue["dataset"]["name"])).body,
                             "html.parser")
        total = page.select_one(".tjportal-download-total dd")
        assert total["data-downloads"] == "2"
        assert total.get_text(strip=True) == "2"
