"""Tests of the theme's template helpers."""
from __future__ import annotations

import pytest

import ckan.plugins.toolkit as tk
from ckan.tests import factories
from ckan.tests.helpers import call_action

from ckanext.tjportal.theme import helpers

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index", "with_request_context")


def _item(department, topic, **fields):
    data = {
        "type": "dataset",
        "title": "三级医疗机构基本信息",
        "owner_org": department["id"],
        "groups": [{"name": topic["name"]}],
        "update_frequency": "monthly",
        "open_condition": "unconditional",
    }
    data.update(fields)
    return call_action("package_create", context={"user": factories.Sysadmin()["name"]}, **data)


@pytest.fixture
def department():
    return factories.Organization(name="tj-health", title="天津市卫生健康委员会")


@pytest.fixture
def topic():
    return factories.Group(name="health", title="医疗卫生")


def _service_with_table(department, topic, records=25, **fields):
    service = _item(department, topic, type="dataservice", title="执业登记接口", **fields)
    resource = factories.Resource(package_id=service["id"], url_type="datastore")
    call_action(
        "datastore_create",
        resource_id=resource["id"],
        force=True,
        fields=[
            {"id": "name", "type": "text", "info": {"label": "机构名称"}},
            {"id": "beds", "type": "int"},
        ],
        records=[{"name": "医院{}".format(n), "beds": n} for n in range(records)],
    )
    return call_action("package_show", id=service["id"])


class TestSiteTitle:
    def test_default_title_is_chinese_name(self):
        assert helpers.tjportal_site_title() == "天津市信息资源统一开放平台"

    @pytest.mark.ckan_config("ckan.site_title", "Example Portal")
    def test_configured_title_kept(self):
        assert helpers.tjportal_site_title() == "Example Portal"


class TestLocaleLinks:
    def test_links_for_chinese_and_english(self, app):
        # CKAN's middleware sets these two on real requests.
        environ = {"CKAN_CURRENT_URL": "/dataset", "CKAN_LANG": "zh_Hans_CN"}
        with app.flask_app.test_request_context("/dataset", environ_overrides=environ):
            links = helpers.tjportal_locale_links()
        assert [link["code"] for link in links] == ["zh_Hans_CN", "en"]
        assert [link["label"] for link in links] == ["中文", "English"]
        assert [link["active"] for link in links] == [True, False]
        assert links[1]["url"] == "/en/dataset"


class TestTopicsAndDepartments:
    def test_topics_counted_per_type_and_sorted(self, department, topic):
        other = factories.Group(name="transport", title="交通运输")
        _item(department, topic)
        _item(department, topic, type="dataservice", title="接口")
        _item(department, other, title="公交线路")
        topics = helpers.tjportal_topics()
        assert [(t["name"], t["count"]) for t in topics] == [("health", 2), ("transport", 1)]
        assert topics[0]["title"] == "医疗卫生"

    def test_private_items_not_counted_for_anonymous(self, department, topic):
        _item(department, topic)
        _item(department, topic, title="内部数据", private=True)
        assert helpers.tjportal_topics()[0]["count"] == 1
        assert helpers.tjportal_departments()[0]["count"] == 1

    def test_empty_topics_listed_with_zero(self, department, topic):
        topics = helpers.tjportal_topics()
        assert len(topics) == 1
        assert topics[0]["name"] == "health"
        assert topics[0]["count"] == 0

    def test_limit_cuts_list(self, department, topic):
        factories.Group(name="transport", title="交通运输")
        assert len(helpers.tjportal_topics(limit=1)) == 1

    @pytest.mark.ckan_config("ckanext.tjportal.theme.home_departments", 1)
    def test_department_limit_from_config(self, department):
        factories.Organization(name="tj-transport", title="天津市交通运输委员会")
        assert len(helpers.tjportal_departments()) == 1


class TestLatest:
    def test_latest_separates_types(self, department, topic):
        dataset = _item(department, topic)
        service = _item(department, topic, type="dataservice", title="接口")
        assert [d["id"] for d in helpers.tjportal_latest("dataset")] == [dataset["id"]]
        assert [d["id"] for d in helpers.tjportal_latest("dataservice")] == [service["id"]]

    def test_latest_newest_first_and_limited(self, department, topic):
        older = _item(department, topic, title="旧数据集")
        newer = _item(department, topic, title="新数据集")
        call_action("package_patch", id=older["id"], notes="更新过")
        latest = helpers.tjportal_latest("dataset", limit=1)
        assert [d["id"] for d in latest] == [older["id"]]
        assert newer["id"] not in [d["id"] for d in latest]

    def test_latest_hides_private_from_anonymous(self, department, topic):
        _item(department, topic, title="内部数据", private=True)
        assert helpers.tjportal_latest("dataset") == []


class TestChoiceLabels:
    def test_choice_label_in_chinese(self):
        assert helpers.tjportal_choice_label("update_frequency", "monthly") == "每月"
        assert helpers.tjportal_choice_label("open_condition", "conditional") == "有条件开放"

    def test_unknown_value_returned_unchanged(self):
        assert helpers.tjportal_choice_label("update_frequency", "hourly") == "hourly"
        assert helpers.tjportal_choice_label("no_such_field", "x") == "x"

    def test_facet_items_relabelled(self):
        search_facets = {
            "update_frequency": {"items": [{"name": "monthly", "display_name": "monthly", "count": 3}]},
            "tags": {"items": [{"name": "monthly", "display_name": "monthly", "count": 1}]},
        }
        frequency = tk.h.get_facet_items_dict("update_frequency", search_facets)
        tags = tk.h.get_facet_items_dict("tags", search_facets)
        assert frequency[0]["display_name"] == "每月"
        assert frequency[0]["name"] == "monthly"
        assert tags[0]["display_name"] == "monthly"


class TestHumanizeEntityType:
    def test_dataservice_named_in_chinese(self):
        assert tk.h.humanize_entity_type("package", "dataservice", "main nav") == "数据接口"
        assert tk.h.humanize_entity_type("package", "dataservice", "search placeholder") == "搜索数据接口..."

    def test_other_types_left_to_core(self):
        assert tk.h.humanize_entity_type("package", "dataset", "main nav") is None
        assert tk.h.humanize_entity_type("group", "group", "main nav") is None


class TestDatastorePreview:
    def test_preview_uses_dictionary_labels(self, department, topic):
        preview = helpers.tjportal_datastore_preview(_service_with_table(department, topic))
        assert [c["label"] for c in preview["columns"]] == ["机构名称", "beds"]
        assert [c["id"] for c in preview["columns"]] == ["name", "beds"]
        assert preview["total"] == 25
        assert len(preview["rows"]) == 20
        assert preview["rows"][0] == ["医院0", 0]

    @pytest.mark.ckan_config("ckanext.tjportal.theme.preview_rows", 5)
    def test_preview_rows_from_config(self, department, topic):
        preview = helpers.tjportal_datastore_preview(_service_with_table(department, topic))
        assert len(preview["rows"]) == 5

    @pytest.mark.ckan_config("ckanext.tjportal.theme.preview_rows", 500)
    def test_preview_rows_capped(self, department, topic):
        preview = helpers.tjportal_datastore_preview(
            _service_with_table(department, topic, records=150))
        assert len(preview["rows"]) == helpers.PREVIEW_ROWS_MAX

    def test_no_preview_without_table(self, department, topic):
        service = _item(department, topic, type="dataservice", title="接口")
        factories.Resource(package_id=service["id"])
        assert helpers.tjportal_datastore_preview(call_action("package_show", id=service["id"])) is None

    def test_no_preview_of_private_table_for_anonymous(self, department, topic):
        service = _service_with_table(department, topic, private=True)
        assert helpers.tjportal_datastore_preview(service) is None
