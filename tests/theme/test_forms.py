"""The dataset form keeps the dataset's topics selected when it is edited."""
from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

import ckan.plugins.toolkit as tk
from ckan.tests import factories
from ckan.tests.helpers import call_action

from ckanext.tjportal.theme.helpers import tjportal_selected_topic_names

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db")


def _selected_topics(response):
    select = BeautifulSoup(response.body, "html.parser").find("select", id="field-groups")
    assert select is not None
    return sorted(o["value"] for o in select.find_all("option") if o.has_attr("selected"))


def test_edit_form_preselects_current_topics(app):
    sysadmin = factories.SysadminWithToken()
    department = factories.Organization()
    factories.Group(name="health", title="医疗卫生")
    factories.Group(name="transport", title="交通运输")
    factories.Group(name="education", title="教育文化")
    dataset = call_action(
        "package_create",
        context={"user": sysadmin["name"]},
        type="dataset",
        title="医院与公交站点",
        owner_org=department["id"],
        groups=[{"name": "health"}, {"name": "transport"}],
    )

    response = app.get(
        tk.url_for("dataset.edit", id=dataset["name"]),
        headers={"Authorization": sysadmin["token"]},
    )

    assert _selected_topics(response) == ["health", "transport"]


@pytest.mark.parametrize("value, expected", [
    (None, []),
    ("health", ["health"]),
    (["health", "transport"], ["health", "transport"]),
    ([{"name": "health", "id": "1"}, {"id": "2"}], ["health", "2"]),
])
def test_selected_topic_names_reads_names_and_dicts(value, expected):
    assert tjportal_selected_topic_names(value) == expected
