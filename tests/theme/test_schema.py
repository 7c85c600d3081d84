"""Tests of the dataset and data service schemas and their validators."""
from __future__ import annotations

import pytest

import ckan.plugins.toolkit as tk
from ckan.tests import factories
from ckan.tests.helpers import call_action

from ckanext.tjportal.theme.logic.slug import slugify_title

pytestmark = [
    pytest.mark.usefixtures("with_plugins", "clean_db"),
]


@pytest.fixture
def department():
    return factories.Organization(name="tj-health", title="天津市卫生健康委员会")


@pytest.fixture
def topic():
    return factories.Group(name="health", title="医疗卫生")


@pytest.fixture
def sysadmin_context():
    return {"user": factories.Sysadmin()["name"], "ignore_auth": False}


def _create(context, department, topic, **fields):
    data = {
        "type": "dataset",
        "title": "三级医疗机构基本信息",
        "owner_org": department["id"],
        "groups": [{"name": topic["name"]}],
    }
    data.update(fields)
    return call_action("package_create", context=dict(context), **data)


def _errors(excinfo):
    return excinfo.value.error_dict


class TestSlugifyTitle:
    def test_chinese_title_becomes_pinyin(self):
        assert slugify_title("三级医疗机构基本信息") == "san-ji-yi-liao-ji-gou-ji-ben-xin-xi"

    def test_latin_letters_and_digits_kept(self):
        assert slugify_title("2019-2022高新技术企业") == "2019-2022-gao-xin-ji-shu-qi-ye"

    def test_punctuation_separates_words(self):
        assert slugify_title("北京市轨道站点信息（出行）") == (
            "bei-jing-shi-gui-dao-zhan-dian-xin-xi-chu-xing")

    def test_long_title_cut_at_word_boundary(self):
        name = slugify_title("一般公共预算税收返还和转移支付" * 10, max_length=40)
        assert len(name) <= 40
        assert not name.endswith("-")
        assert name.startswith("yi-ban-gong-gong")

    def test_title_without_letters_gets_fallback(self):
        assert slugify_title("！！？") == "dataset"
        assert slugify_title("Ｘ") == "dataset-x"


class TestDatasetName:
    def test_name_generated_from_chinese_title(self, sysadmin_context, department, topic):
        dataset = _create(sysadmin_context, department, topic)
        assert dataset["name"] == "san-ji-yi-liao-ji-gou-ji-ben-xin-xi"

    def test_generated_name_gets_suffix_on_collision(self, sysadmin_context, department, topic):
        first = _create(sysadmin_context, department, topic)
        second = _create(sysadmin_context, department, topic)
        assert first["name"] == "san-ji-yi-liao-ji-gou-ji-ben-xin-xi"
        assert second["name"] == "san-ji-yi-liao-ji-gou-ji-ben-xin-xi-2"

    def test_generated_name_avoids_deleted_dataset(self, sysadmin_context, department, topic):
        first = _create(sysadmin_context, department, topic)
        call_action("package_delete", context=dict(sysadmin_context), id=first["id"])
        second = _create(sysadmin_context, department, topic)
        assert second["name"] == "san-ji-yi-liao-ji-gou-ji-ben-xin-xi-2"

    def test_given_name_kept(self, sysadmin_context, department, topic):
        dataset = _create(sysadmin_context, department, topic, name="tertiary-hospitals")
        assert dataset["name"] == "tertiary-hospitals"

    def test_given_name_must_be_unique(self, sysadmin_context, department, topic):
        _create(sysadmin_context, department, topic, name="tertiary-hospitals")
        with pytest.raises(tk.ValidationError) as excinfo:
            _create(sysadmin_context, department, topic, name="tertiary-hospitals")
        assert "name" in _errors(excinfo)

    @pytest.mark.parametrize("name", ["Upper-Case", "中文名", "a", "x" * 101, "with space"])
    def test_invalid_given_name_rejected(self, sysadmin_context, department, topic, name):
        with pytest.raises(tk.ValidationError) as excinfo:
            _create(sysadmin_context, department, topic, name=name)
        assert "name" in _errors(excinfo)

    def test_update_without_name_keeps_name(self, sysadmin_context, department, topic):
        dataset = _create(sysadmin_context, department, topic, name="tertiary-hospitals")
        updated = call_action(
            "package_update", context=dict(sysadmin_context),
            id=dataset["id"], type="dataset", title="三级医院名录",
            owner_org=department["id"], groups=[{"name": "health"}])
        assert updated["name"] == "tertiary-hospitals"
        assert updated["title"] == "三级医院名录"


class TestRequiredFields:
    def test_title_required(self, sysadmin_context, department, topic):
        with pytest.raises(tk.ValidationError) as excinfo:
            _create(sysadmin_context, department, topic, title="")
        assert "title" in _errors(excinfo)
        assert "name" not in _errors(excinfo)

    def test_blank_title_rejected(self, sysadmin_context, department, topic):
        with pytest.raises(tk.ValidationError) as excinfo:
            _create(sysadmin_context, department, topic, title="   ")
        assert "title" in _errors(excinfo)

    def test_department_required(self, sysadmin_context, department, topic):
        with pytest.raises(tk.ValidationError) as excinfo:
            _create(sysadmin_context, department, topic, owner_org="")
        assert "owner_org" in _errors(excinfo)


class TestTopics:
    def test_topic_by_name_saved(self, sysadmin_context, department, topic):
        dataset = _create(sysadmin_context, department, topic)
        assert [group["name"] for group in dataset["groups"]] == ["health"]

    def test_form_style_names_accepted(self, sysadmin_context, department, topic):
        factories.Group(name="transport", title="交通运输")
        dataset = _create(sysadmin_context, department, topic, groups=["health", "transport"])
        assert sorted(group["name"] for group in dataset["groups"]) == ["health", "transport"]

    def test_single_form_value_accepted(self, sysadmin_context, department, topic):
        dataset = _create(sysadmin_context, department, topic, groups="health")
        assert [group["name"] for group in dataset["groups"]] == ["health"]

    def test_topic_by_id_accepted(self, sysadmin_context, department, topic):
        dataset = _create(sysadmin_context, department, topic, groups=[{"id": topic["id"]}])
        assert [group["name"] for group in dataset["groups"]] == ["health"]

    @pytest.mark.parametrize("groups", [[], "", None])
    def test_missing_topic_rejected(self, sysadmin_context, department, topic, groups):
        with pytest.raises(tk.ValidationError) as excinfo:
            _create(sysadmin_context, department, topic, groups=groups)
        assert _errors(excinfo)["groups"] == ["Select at least one topic."]

    def test_topic_key_absent_rejected(self, sysadmin_context, department, topic):
        data = {"type": "dataset", "title": "医院", "owner_org": department["id"]}
        with pytest.raises(tk.ValidationError) as excinfo:
            call_action("package_create", context=dict(sysadmin_context), **data)
        assert _errors(excinfo)["groups"] == ["Select at least one topic."]

    def test_unknown_topic_rejected(self, sysadmin_context, department, topic):
        with pytest.raises(tk.ValidationError) as excinfo:
            _create(sysadmin_context, department, topic, groups=[{"name": "no-such-topic"}])
        message = _errors(excinfo)["groups"][0]
        assert '"no-such-topic" does not exist' in message

    def test_organization_is_not_a_topic(self, sysadmin_context, department, topic):
        with pytest.raises(tk.ValidationError) as excinfo:
            _create(sysadmin_context, department, topic, groups=[{"name": department["name"]}])
        assert "does not exist" in _errors(excinfo)["groups"][0]

    def test_malformed_topics_rejected(self, sysadmin_context, department, topic):
        with pytest.raises(tk.ValidationError) as excinfo:
            _create(sysadmin_context, department, topic, groups=[42])
        assert "list of topic names" in _errors(excinfo)["groups"][0]

    def test_non_member_editor_not_authorized(self, department, topic):
        editor = factories.User()
        call_action("organization_member_create", id=department["id"],
                    username=editor["name"], role="editor")
        with pytest.raises(tk.NotAuthorized):
            _create({"user": editor["name"], "ignore_auth": False}, department, topic)

    def test_update_without_groups_keeps_topics(self, sysadmin_context, department, topic):
        dataset = _create(sysadmin_context, department, topic, name="tertiary-hospitals")
        updated = call_action(
            "package_update", context=dict(sysadmin_context), id=dataset["id"],
            type="dataset", title="三级医院名录", owner_org=department["id"])
        assert [group["name"] for group in updated["groups"]] == ["health"]

    def test_update_cannot_remove_every_topic(self, sysadmin_context, department, topic):
        dataset = _create(sysadmin_context, department, topic)
        with pytest.raises(tk.ValidationError) as excinfo:
            call_action("package_patch", context=dict(sysadmin_context),
                        id=dataset["id"], groups=[])
        assert _errors(excinfo)["groups"] == ["Select at least one topic."]

    def test_member_editor_adds_topic(self, department, topic):
        editor = factories.User()
        call_action("organization_member_create", id=department["id"],
                    username=editor["name"], role="editor")
        call_action("group_member_create", id=topic["id"],
                    username=editor["name"], role="member")
        dataset = _create({"user": editor["name"], "ignore_auth": False}, department, topic)
        assert [group["name"] for group in dataset["groups"]] == ["health"]


class TestChoiceFields:
    @pytest.mark.parametrize("value", [
        "realtime", "daily", "weekly", "monthly", "quarterly", "half-yearly",
        "yearly", "irregular"])
    def test_update_frequency_values(self, sysadmin_context, department, topic, value):
        dataset = _create(sysadmin_context, department, topic, update_frequency=value)
        assert dataset["update_frequency"] == value

    def test_update_frequency_invalid(self, sysadmin_context, department, topic):
        with pytest.raises(tk.ValidationError) as excinfo:
            _create(sysadmin_context, department, topic, update_frequency="hourly")
        assert "update_frequency" in _errors(excinfo)

    def test_open_condition_invalid(self, sysadmin_context, department, topic):
        with pytest.raises(tk.ValidationError) as excinfo:
            _create(sysadmin_context, department, topic, open_condition="closed")
        assert "open_condition" in _errors(excinfo)

    def test_unconditional_needs_no_conditions(self, sysadmin_context, department, topic):
        dataset = _create(sysadmin_context, department, topic, open_condition="unconditional")
        assert dataset["open_condition"] == "unconditional"
        assert "open_conditions" not in dataset

    def test_conditional_requires_conditions(self, sysadmin_context, department, topic):
        with pytest.raises(tk.ValidationError) as excinfo:
            _create(sysadmin_context, department, topic, open_condition="conditional",
                    open_conditions="  ")
        assert "open condition is set to conditional" in _errors(excinfo)["open_conditions"][0]

    def test_conditional_with_conditions_saved(self, sysadmin_context, department, topic):
        dataset = _create(sysadmin_context, department, topic, open_condition="conditional",
                          open_conditions="仅限科研用途，需提交申请。")
        assert dataset["open_conditions"] == "仅限科研用途，需提交申请。"


class TestRecordCount:
    @pytest.mark.parametrize("value, stored", [(0, 0), ("0", 0), (36, 36), ("15191", 15191)])
    def test_valid_counts_stored_as_numbers(self, sysadmin_context, department, topic, value, stored):
        dataset = _create(sysadmin_context, department, topic, record_count=value)
        assert dataset["record_count"] == stored

    @pytest.mark.parametrize("value", [-1, "-5", "12.5", "many", 1.5, True])
    def test_invalid_counts_rejected(self, sysadmin_context, department, topic, value):
        with pytest.raises(tk.ValidationError) as excinfo:
            _create(sysadmin_context, department, topic, record_count=value)
        assert _errors(excinfo)["record_count"] == ["Enter a whole number of zero or more."]

    def test_count_optional(self, sysadmin_context, department, topic):
        dataset = _create(sysadmin_context, department, topic, record_count="")
        assert "record_count" not in dataset


class TestResourceIdentifier:
    def test_identifier_unique_across_types(self, sysadmin_context, department, topic):
        first = _create(sysadmin_context, department, topic, resource_identifier="TJ-0001")
        with pytest.raises(tk.ValidationError) as excinfo:
            _create(sysadmin_context, department, topic, type="dataservice",
                    title="医院接口", resource_identifier=" TJ-0001 ")
        message = _errors(excinfo)["resource_identifier"][0]
        assert '"TJ-0001" is already used' in message
        assert first["name"] in message

    def test_identifier_kept_on_own_update(self, sysadmin_context, department, topic):
        dataset = _create(sysadmin_context, department, topic, resource_identifier="TJ-0001")
        updated = call_action("package_patch", context=dict(sysadmin_context),
                              id=dataset["id"], notes="更新摘要")
        assert updated["resource_identifier"] == "TJ-0001"

    def test_identifier_of_deleted_dataset_reusable(self, sysadmin_context, department, topic):
        first = _create(sysadmin_context, department, topic, resource_identifier="TJ-0001")
        call_action("package_delete", context=dict(sysadmin_context), id=first["id"])
        second = _create(sysadmin_context, department, topic, resource_identifier="TJ-0001")
        assert second["resource_identifier"] == "TJ-0001"

    def test_identifier_optional(self, sysadmin_context, department, topic):
        first = _create(sysadmin_context, department, topic, resource_identifier="")
        second = _create(sysadmin_context, department, topic)
        assert "resource_identifier" not in first
        assert "resource_identifier" not in second


class TestDatesContactsAndSource:
    def test_dates_stored_as_iso(self, sysadmin_context, department, topic):
        dataset = _create(sysadmin_context, department, topic,
                          publish_date="2015-03-17", update_date="2022-06-13")
        assert dataset["publish_date"] == "2015-03-17"
        assert dataset["update_date"] == "2022-06-13"

    @pytest.mark.parametrize("field", ["publish_date", "update_date"])
    def test_bad_date_rejected(self, sysadmin_context, department, topic, field):
        with pytest.raises(tk.ValidationError) as excinfo:
            _create(sysadmin_context, department, topic, **{field: "2022-13-45"})
        assert field in _errors(excinfo)

    def test_contact_and_source_saved(self, sysadmin_context, department, topic):
        dataset = _create(
            sysadmin_context, department, topic, contact_name="张三",
            contact_phone="022-2333 4567", contact_email="open@example.gov.cn",
            source_city="天津", source_url="https://open.data.tj.gov.cn/sjj/1.htm")
        assert dataset["contact_phone"] == "022-2333 4567"
        assert dataset["contact_email"] == "open@example.gov.cn"
        assert dataset["source_city"] == "天津"
        assert dataset["source_url"] == "https://open.data.tj.gov.cn/sjj/1.htm"

    @pytest.mark.parametrize("field, value", [
        ("contact_phone", "call me"),
        ("contact_email", "not-an-email"),
        ("source_url", "ftp://example.org/x"),
        ("source_url", "open.data.tj.gov.cn"),
    ])
    def test_bad_contact_or_source_rejected(self, sysadmin_context, department, topic, field, value):
        with pytest.raises(tk.ValidationError) as excinfo:
            _create(sysadmin_context, department, topic, **{field: value})
        assert field in _errors(excinfo)

    def test_keywords_become_tags(self, sysadmin_context, department, topic):
        dataset = _create(sysadmin_context, department, topic, tag_string="医院,卫生健康")
        assert sorted(tag["name"] for tag in dataset["tags"]) == ["医院", "卫生健康"]


class TestResources:
    def test_resource_fields_saved(self, sysadmin_context, department, topic):
        dataset = _create(sysadmin_context, department, topic, resources=[{
            "name": "医院名录", "url": "https://example.org/hospitals.xlsx",
            "format": "xlsx", "description": "2024年版"}])
        resource = dataset["resources"][0]
        assert resource["name"] == "医院名录"
        assert resource["format"] == "XLSX"
        assert resource["description"] == "2024年版"

    def test_dataservice_type_uses_same_rules(self, sysadmin_context, department, topic):
        with pytest.raises(tk.ValidationError) as excinfo:
            call_action("package_create", context=dict(sysadmin_context), type="dataservice",
                        title="接口", owner_org=department["id"])
        assert "groups" in _errors(excinfo)


class TestTopicChoices:
    def test_every_topic_listed_past_page_size(self):
        from ckanext.tjportal.theme.logic.topics import topic_choices

        for number in range(30):
            factories.Group(name="topic-%02d" % number, title="主题%02d" % number)
        factories.Organization(name="not-a-topic")
        choices = topic_choices({})
        assert len(choices) == 30
        assert choices[0] == {"value": "topic-00", "label": "主题00"}
        assert "not-a-topic" not in [choice["value"] for choice in choices]


class TestDatasetForm:
    @pytest.fixture
    def editor(self, topic):
        user = factories.SysadminWithToken()
        organization = factories.Organization(
            name="tj-transport", title="天津市交通运输委员会",
            users=[{"name": user["name"], "capacity": "admin"}])
        return {"headers": {"Authorization": user["token"]}, "org": organization}

    def test_new_form_lists_topics(self, app, editor):
        response = app.get(tk.url_for("dataset.new"), headers=editor["headers"])

        assert response.status_code == 200
        assert 'id="field-groups-health"' in response.body
        assert "医疗卫生" in response.body

    def test_form_post_saves_topic_and_name(self, app, editor):
        response = app.post(tk.url_for("dataset.new"), headers=editor["headers"], data={
            "title": "公交站点信息", "name": "", "owner_org": editor["org"]["id"],
            "groups": "health", "save": "continue"}, follow_redirects=False)

        assert response.status_code == 302
        dataset = call_action("package_show", id="gong-jiao-zhan-dian-xin-xi")
        assert [group["name"] for group in dataset["groups"]] == ["health"]

    def test_form_error_in_chinese_by_default(self, app, editor):
        response = app.post(tk.url_for("dataset.new"), headers=editor["headers"], data={
            "title": "公交站点信息", "name": "", "owner_org": editor["org"]["id"],
            "record_count": "-3", "save": "continue"})

        assert response.status_code == 200
        assert "请至少选择一个主题。" in response.body
        assert "请输入大于或等于 0 的整数。" in response.body
        assert "Select at least one topic." not in response.body

    def test_form_error_in_english_locale(self, app, editor):
        response = app.post(tk.url_for("dataset.new", locale="en"), headers=editor["headers"],
                            data={"title": "公交站点信息", "name": "",
                                  "owner_org": editor["org"]["id"], "save": "continue"})

        assert response.status_code == 200
        assert "Select at least one topic." in response.body
