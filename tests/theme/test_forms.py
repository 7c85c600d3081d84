"""The dataset form keeps the dataset's topics selected when it is edited."""
from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from werkzeug.datastructures import MultiDict

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


def _form_fields(response, form_id):
    """Return the name/value pairs a browser would submit from a form."""
    form = BeautifulSoup(response.body, "html.parser").find("form", id=form_id)
    assert form is not None
    fields = []
    for element in form.find_all(["input", "textarea", "select"]):
        name = element.get("name")
        if not name or element.get("type") in ("submit", "checkbox", "radio", "file"):
            continue
        if element.name == "textarea":
            fields.append((name, element.get_text()))
        elif element.name == "select":
            fields.extend((name, option["value"])
                          for option in element.find_all("option", selected=True))
        else:
            fields.append((name, element.get("value", "")))
    # The hidden template of a new data item is not a real row.
    return MultiDict(
        (name, value) for name, value in fields if "REPEATING-INDEX" not in name)


def test_edit_form_keeps_data_items(app):
    sysadmin = factories.SysadminWithToken()
    department = factories.Organization()
    factories.Group(name="health", title="医疗卫生")
    items = [
        {"name": "name", "label": "机构名称", "type": "text", "description": "登记名称"},
        {"name": "bed_count", "label": "床位数", "type": "int"},
    ]
    dataset = call_action(
        "package_create",
        context={"user": sysadmin["name"]},
        type="dataset",
        title="医疗机构执业登记信息",
        owner_org=department["id"],
        groups=[{"name": "health"}],
        data_items=items,
    )
    url = tk.url_for("dataset.edit", id=dataset["name"])
    headers = {"Authorization": sysadmin["token"]}
    fields = _form_fields(app.get(url, headers=headers), "dataset-edit")
    fields["title"] = "医疗机构执业登记"
    fields["save"] = ""

    response = app.post(url, data=fields, headers=headers, follow_redirects=False)

    assert response.status_code == 302, response.body
    stored = call_action("package_show", id=dataset["id"])
    assert stored["title"] == "医疗机构执业登记"
    assert stored["data_items"] == items


def test_data_item_without_name_rejected(app):
    sysadmin = factories.SysadminWithToken()
    department = factories.Organization()
    factories.Group(name="health", title="医疗卫生")
    dataset = call_action(
        "package_create", context={"user": sysadmin["name"]}, type="dataset",
        title="医疗机构执业登记信息", owner_org=department["id"],
        groups=[{"name": "health"}], data_items=[{"name": "name", "type": "text"}],
    )
    url = tk.url_for("dataset.edit", id=dataset["name"])
    headers = {"Authorization": sysadmin["token"]}
    fields = _form_fields(app.get(url, headers=headers), "dataset-edit")
    fields["data_items-0-name"] = ""
    fields["save"] = ""

    response = app.post(url, data=fields, headers=headers)

    assert response.status_code == 200
    assert "error-explanation" in response.body
    assert call_action("package_show", id=dataset["id"])["data_items"] == [
        {"name": "name", "type": "text"}]
