"""Tests of the rating summary's singular and plural wording."""
from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

import ckan.plugins.toolkit as tk
from ckan.tests import factories
from ckan.tests.helpers import call_action

from .helpers import PLUGINS, scores, url

pytestmark = [
    pytest.mark.ckan_config("ckan.plugins", PLUGINS),
    pytest.mark.usefixtures("with_plugins", "clean_db"),
]


def _rate(package, count):
    for _ in range(count):
        call_action("tjportal_rating_create", context={"user": factories.User()["name"]},
                    package_id=package["id"], **scores())


def _overall(response) -> str:
    element = BeautifulSoup(response.body, "html.parser").find(class_="tjportal-rating-overall")
    return " ".join(element.get_text(" ").split())


class TestRatingSummary:
    def test_one_rating_singular(self, app, catalogue):
        _rate(catalogue["dataset"], 1)

        response = app.get(url("dataset.read", id=catalogue["dataset"]["name"]))

        assert _overall(response) == "Average 4.0 of 5 from 1 rating"

    def test_two_ratings_plural(self, app, catalogue):
        _rate(catalogue["dataset"], 2)

        response = app.get(url("dataset.read", id=catalogue["dataset"]["name"]))

        assert _overall(response) == "Average 4.0 of 5 from 2 ratings"

    def test_chinese_summary(self, app, catalogue):
        _rate(catalogue["dataset"], 1)

        response = app.get(tk.url_for("dataset.read", id=catalogue["dataset"]["name"]))

        assert _overall(response) == "平均 4.0 分（满分 5 分），共 1 条评价"
