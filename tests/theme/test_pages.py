"""Tests of the portal's pages: home, search, dataset, data service, topic
and department pages, in Chinese and English."""
from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

import ckan.plugins.toolkit as tk
from ckan.tests import factories
from ckan.tests.helpers import call_action

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")

SITE_TITLE = "天津市信息资源统一开放平台"
SCRIPT_TITLE = "<script>alert('x')</script>医院名录"
PREVIEW_RECORDS = 25


def _dataset(department, topic, **fields):
    data = {
        "type": "dataset",
        "title": "三级医疗机构基本信息",
        "owner_org": department["id"],
        "groups": [{"name": topic["name"]}],
        "notes": "市卫生健康委发布的三级医疗机构名录。",
        "tag_string": "医院,卫生健康",
        "update_frequency": "monthly",
        "open_condition": "conditional",
        "open_conditions": "注册用户申请后开放",
        "record_count": "36",
        "publish_date": "2019-03-01",
        "update_date": "2026-08-20",
        "source_city": "天津",
        "source_url": "https://open.data.tj.gov.cn/sjj/1be22c6e.htm",
        "resources": [{"url": "https://example.invalid/hospitals.xls", "name": "名录", "format": "XLS"}],
    }
    data.update(fields)
    context = {"user": factories.Sysadmin()["name"]}
    return call_action("package_create", context=context, **data)


@pytest.fixture
def catalogue():
    """A department, a topic, a dataset, a data service with a DataStore
    table, and a private dataset in the same department and topic."""
    department = factories.Organization(name="tj-health", title="天津市卫生健康委员会")
    topic = factories.Group(name="health", title="医疗卫生")
    dataset = _dataset(department, topic)
    service = _dataset(
        department, topic,
        type="dataservice",
        title="医疗机构执业登记接口",
        update_frequency="daily",
        open_condition="unconditional",
        open_conditions="",
        resources=[],
    )
    resource = factories.Resource(package_id=service["id"], name="执业登记", url_type="datastore")
    call_action(
        "datastore_create",
        resource_id=resource["id"],
        force=True,
        fields=[
            {"id": "name", "type": "text", "info": {"label": "机构名称"}},
            {"id": "beds", "type": "int", "info": {"label": "床位数"}},
            {"id": "remark", "type": "text"},
        ],
        records=[
            {"name": "医院{}".format(number), "beds": number, "remark": "<b>r{}</b>".format(number)}
            for number in range(1, PREVIEW_RECORDS + 1)
        ],
    )
    private = _dataset(department, topic, title="内部机密数据集", private=True,
                       update_frequency="yearly")
    return {
        "department": department,
        "topic": topic,
        "dataset": dataset,
        "service": call_action("package_show", id=service["id"]),
        "private": private,
    }


def _text(response) -> str:
    soup = BeautifulSoup(response.body, "html.parser")
    for tag in soup(["script", "style"]):
        tag.decompose()
    return " ".join(soup.get_text(" ").split())


def _facet_section(response, title):
    soup = BeautifulSoup(response.body, "html.parser")
    for heading in soup.select("#search-facets h2.module-heading"):
        if title in heading.get_text():
            return " ".join(heading.find_parent("section").get_text(" ").split())
    raise AssertionError("no facet titled {!r}".format(title))


class TestHomePage:
    def test_home_shows_title_topics_and_departments(self, app, catalogue):
        response = app.get(tk.url_for("home.index"))
        text = _text(response)
        assert response.status_code == 200
        assert SITE_TITLE in text
        assert "主题" in text
        assert "部门" in text
        assert "医疗卫生" in text
        assert "天津市卫生健康委员会" in text

    def test_home_lists_latest_items(self, app, catalogue):
        text = _text(app.get(tk.url_for("home.index")))
        assert "最新数据集" in text
        assert "最新数据接口" in text
        assert "三级医疗机构基本信息" in text
        assert "医疗机构执业登记接口" in text

    def test_home_counts_public_items_only(self, app, catalogue):
        soup = BeautifulSoup(app.get(tk.url_for("home.index")).body, "html.parser")
        topic = soup.select_one(".tjportal-home-topics .tjportal-group-counts li")
        department = soup.select_one(".tjportal-home-departments .tjportal-group-counts li")
        assert "医疗卫生" in topic.get_text()
        assert "2" in topic.select_one(".badge").get_text()
        assert "2" in department.select_one(".badge").get_text()

    def test_home_search_box_targets_dataset_search(self, app, catalogue):
        soup = BeautifulSoup(app.get(tk.url_for("home.index")).body, "html.parser")
        form = soup.select_one("form.tjportal-home-search")
        assert form["action"] == tk.url_for("dataset.search")
        assert form.select_one("input[name=q]") is not None


class TestHeader:
    def test_navigation_names_portal_sections(self, app, catalogue):
        soup = BeautifulSoup(app.get(tk.url_for("home.index")).body, "html.parser")
        nav = " ".join(soup.select_one("header .navbar-nav").get_text(" ").split())
        assert "数据集" in nav
        assert "数据接口" in nav
        assert "主题" in nav
        assert "部门" in nav

    def test_catalogue_completes_and_overrides_core(self, app, catalogue):
        text = _text(app.get(tk.url_for("home.index")))
        # Core's zh_Hans_CN catalogue leaves the first empty and has 登陆
        # for the second.
        assert "跳到主要内容" in text
        assert "登录" in text
        assert "登陆" not in text

    def test_language_links_offer_chinese_and_english(self, app, catalogue):
        soup = BeautifulSoup(app.get(tk.url_for("home.index")).body, "html.parser")
        links = soup.select(".tjportal-locale-links li")
        labels = [" ".join(link.get_text().split()) for link in links]
        assert labels == ["中文", "English"]
        assert soup.select_one(".tjportal-locale-links a[lang=en]")["href"].startswith("/en")


class TestSearchPages:
    def test_dataset_search_shows_chinese_facets(self, app, catalogue):
        response = app.get(tk.url_for("dataset.search"))
        text = _text(response)
        assert response.status_code == 200
        for title in ("主题", "部门", "格式", "更新频率", "开放属性"):
            assert title in text
        assert "三级医疗机构基本信息" in text
        assert "医疗机构执业登记接口" not in text

    def test_facet_items_show_choice_labels(self, app, catalogue):
        response = app.get(tk.url_for("dataset.search"))
        assert "每月" in _facet_section(response, "更新频率")
        assert "monthly" not in _facet_section(response, "更新频率")
        assert "有条件开放" in _facet_section(response, "开放属性")
        assert "医疗卫生" in _facet_section(response, "主题")
        assert "天津市卫生健康委员会" in _facet_section(response, "部门")

    def test_dataservice_search_lists_services(self, app, catalogue):
        response = app.get(tk.url_for("dataservice.search"))
        text = _text(response)
        assert response.status_code == 200
        assert "医疗机构执业登记接口" in text
        assert "三级医疗机构基本信息" not in text
        assert "每日" in _facet_section(response, "更新频率")
        assert "无条件开放" in _facet_section(response, "开放属性")

    def test_facet_filter_by_choice_code(self, app, catalogue):
        response = app.get(tk.url_for("dataset.search", update_frequency="monthly"))
        assert "三级医疗机构基本信息" in _text(response)


class TestDatasetPage:
    def test_dataset_page_shows_portal_fields(self, app, catalogue):
        response = app.get(tk.url_for("dataset.read", id=catalogue["dataset"]["name"]))
        text = _text(response)
        assert response.status_code == 200
        for expected in (
            "部门", "天津市卫生健康委员会", "主题", "医疗卫生",
            "来源城市", "天津", "来源地址",
            "更新频率", "每月", "开放属性", "有条件开放",
            "数据量", "36", "发布日期", "更新日期",
            "医院", "卫生健康", "名录",
        ):
            assert expected in text

    def test_source_address_is_a_link(self, app, catalogue):
        response = app.get(tk.url_for("dataset.read", id=catalogue["dataset"]["name"]))
        soup = BeautifulSoup(response.body, "html.parser")
        assert soup.select_one('a[href="https://open.data.tj.gov.cn/sjj/1be22c6e.htm"]')

    def test_dataset_page_has_no_preview(self, app, catalogue):
        response = app.get(tk.url_for("dataset.read", id=catalogue["dataset"]["name"]))
        assert "tjportal-preview" not in response.body


class TestDataservicePage:
    def test_preview_uses_chinese_column_labels(self, app, catalogue):
        response = app.get(tk.url_for("dataservice.read", id=catalogue["service"]["name"]))
        soup = BeautifulSoup(response.body, "html.parser")
        headers = [th.get_text(strip=True) for th in soup.select(".tjportal-preview thead th")]
        assert response.status_code == 200
        assert headers == ["机构名称", "床位数", "remark"]

    def test_preview_shows_at_most_20_rows(self, app, catalogue):
        response = app.get(tk.url_for("dataservice.read", id=catalogue["service"]["name"]))
        soup = BeautifulSoup(response.body, "html.parser")
        rows = soup.select(".tjportal-preview tbody tr")
        assert len(rows) == 20
        assert "医院1" in rows[0].get_text()

    def test_service_page_tab_names_type(self, app, catalogue):
        response = app.get(tk.url_for("dataservice.read", id=catalogue["service"]["name"]))
        soup = BeautifulSoup(response.body, "html.parser")
        tabs = [" ".join(tab.get_text().split()) for tab in soup.select(".page-header .nav-tabs li")]
        assert tabs == ["数据接口", "主题"]

    def test_preview_escapes_cell_values(self, app, catalogue):
        response = app.get(tk.url_for("dataservice.read", id=catalogue["service"]["name"]))
        assert "&lt;b&gt;r1&lt;/b&gt;" in response.body
        assert "<b>r1</b>" not in response.body

    def test_service_without_datastore_has_no_preview(self, app, catalogue):
        service = _dataset(
            catalogue["department"], catalogue["topic"],
            type="dataservice", title="没有表的接口", resources=[],
        )
        response = app.get(tk.url_for("dataservice.read", id=service["name"]))
        assert response.status_code == 200
        assert "tjportal-preview" not in response.body


class TestGroupPages:
    def test_topic_page_lists_its_items(self, app, catalogue):
        response = app.get(tk.url_for("group.read", id="health"))
        text = _text(response)
        assert response.status_code == 200
        assert "医疗卫生" in text
        assert "三级医疗机构基本信息" in text
        assert "更新频率" in text
        assert "每月" in text

    def test_department_page_lists_its_items(self, app, catalogue):
        response = app.get(tk.url_for("organization.read", id="tj-health"))
        text = _text(response)
        assert response.status_code == 200
        assert "天津市卫生健康委员会" in text
        assert "三级医疗机构基本信息" in text
        assert "开放属性" in text

    def test_breadcrumbs_use_portal_terms(self, app, catalogue):
        topic = BeautifulSoup(app.get(tk.url_for("group.read", id="health")).body, "html.parser")
        department = BeautifulSoup(
            app.get(tk.url_for("organization.read", id="tj-health")).body, "html.parser")
        topic_crumbs = topic.select_one(".breadcrumb").get_text(" ")
        department_crumbs = department.select_one(".breadcrumb").get_text(" ")
        assert "主题" in topic_crumbs
        assert "群组" not in topic_crumbs
        assert "部门" in department_crumbs
        assert "组织" not in department_crumbs

    def test_topic_and_department_indexes(self, app, catalogue):
        topics = app.get(tk.url_for("group.index"))
        departments = app.get(tk.url_for("organization.index"))
        assert topics.status_code == 200
        assert departments.status_code == 200
        assert "医疗卫生" in _text(topics)
        assert "天津市卫生健康委员会" in _text(departments)


class TestEnglishLocale:
    def test_english_home(self, app, catalogue):
        text = _text(app.get("/en" + tk.url_for("home.index")))
        assert "Tianjin Information Resources Open Platform" in text
        assert "About Tianjin Information Resources Open Platform" in text
        assert "Latest datasets" in text
        assert "Data services" in text

    def test_english_search_facets(self, app, catalogue):
        response = app.get("/en" + tk.url_for("dataset.search"))
        assert "Monthly" in _facet_section(response, "Update frequency")
        assert "Open on conditions" in _facet_section(response, "Open condition")
        assert "更新频率" not in _text(response)

    def test_english_topic_index(self, app, catalogue):
        text = _text(app.get("/en" + tk.url_for("group.index")))
        assert "1 topic found" in text

    def test_english_dataset_page(self, app, catalogue):
        text = _text(app.get("/en" + tk.url_for("dataset.read", id=catalogue["dataset"]["name"])))
        for expected in ("Department", "Topics", "Source city", "Update frequency", "Monthly"):
            assert expected in text


class TestPrivateDataset:
    def test_private_dataset_hidden_from_home(self, app, catalogue):
        assert "内部机密数据集" not in _text(app.get(tk.url_for("home.index")))

    def test_private_dataset_hidden_from_search(self, app, catalogue):
        response = app.get(tk.url_for("dataset.search"))
        assert "内部机密数据集" not in _text(response)
        assert "每年" not in _facet_section(response, "更新频率")
        assert "1" in _facet_section(response, "部门")
        assert "2" not in _facet_section(response, "部门")

    def test_private_dataset_hidden_from_department_page(self, app, catalogue):
        response = app.get(tk.url_for("organization.read", id="tj-health"))
        assert "内部机密数据集" not in _text(response)

    def test_private_dataset_counted_for_member(self, app, catalogue):
        user = factories.UserWithToken()
        call_action(
            "organization_member_create",
            id=catalogue["department"]["id"], username=user["name"], role="editor",
        )
        response = app.get(
            tk.url_for("home.index"), headers={"Authorization": user["token"]}
        )
        assert "内部机密数据集" in _text(response)


class TestEscaping:
    def test_script_in_title_is_escaped(self, app, catalogue):
        dataset = _dataset(catalogue["department"], catalogue["topic"], title=SCRIPT_TITLE,
                           name="script-title")
        for url in (
            tk.url_for("home.index"),
            tk.url_for("dataset.search"),
            tk.url_for("dataset.read", id=dataset["name"]),
        ):
            body = app.get(url).body
            assert "<script>alert('x')</script>" not in body
            assert "&lt;script&gt;" in body


DATA_ITEMS = [
    {"name": "name", "label": "机构名称", "type": "text", "description": "<i>登记名称</i>"},
    {"name": "bed_count", "label": "床位数", "type": "int"},
]


def _data_item_rows(response):
    soup = BeautifulSoup(response.body, "html.parser")
    section = soup.select_one(".tjportal-data-items")
    if section is None:
        return None, []
    rows = [
        [" ".join(cell.get_text().split()) for cell in row.find_all("td")]
        for row in section.select("tbody tr")
    ]
    return section["data-source"], rows


class TestDataItems:
    def test_dataset_page_lists_data_items(self, app, catalogue):
        dataset = _dataset(catalogue["department"], catalogue["topic"],
                           name="with-items", data_items=DATA_ITEMS)

        response = app.get(tk.url_for("dataset.read", id=dataset["name"]))

        source, rows = _data_item_rows(response)
        assert source == "data_items"
        assert rows == [
            ["name", "机构名称", "文本", "<i>登记名称</i>"],
            ["bed_count", "床位数", "整数", ""],
        ]
        assert "数据项" in _text(response)

    def test_data_item_text_is_escaped(self, app, catalogue):
        dataset = _dataset(catalogue["department"], catalogue["topic"],
                           name="with-items", data_items=DATA_ITEMS)

        body = app.get(tk.url_for("dataset.read", id=dataset["name"])).body

        assert "&lt;i&gt;登记名称&lt;/i&gt;" in body
        assert "<i>登记名称</i>" not in body

    def test_english_page_translates_headings_and_types(self, app, catalogue):
        dataset = _dataset(catalogue["department"], catalogue["topic"],
                           name="with-items", data_items=DATA_ITEMS)

        response = app.get("/en" + tk.url_for("dataset.read", id=dataset["name"]))

        _source, rows = _data_item_rows(response)
        assert [row[2] for row in rows] == ["Text", "Integer"]
        assert "Data items" in _text(response)
        assert "Column name" in _text(response)

    def test_datastore_dictionary_wins(self, app, catalogue):
        call_action("package_patch", id=catalogue["service"]["id"], data_items=DATA_ITEMS)

        response = app.get(tk.url_for("dataservice.read", id=catalogue["service"]["name"]))

        source, rows = _data_item_rows(response)
        assert source == "datastore"
        assert rows == [
            ["name", "机构名称", "文本", ""],
            ["beds", "床位数", "整数", ""],
            ["remark", "", "文本", ""],
        ]

    def test_item_without_data_items_has_no_table(self, app, catalogue):
        response = app.get(tk.url_for("dataset.read", id=catalogue["dataset"]["name"]))

        assert _data_item_rows(response) == (None, [])

    def test_private_datastore_dictionary_not_shown_to_anonymous(self, app, catalogue):
        # The page of a private item is not found for an anonymous user, so
        # the columns of its table stay hidden.
        private = catalogue["private"]
        resource = factories.Resource(package_id=private["id"], url_type="datastore")
        call_action("datastore_create", resource_id=resource["id"], force=True,
                    fields=[{"id": "secret_column", "type": "text"}])

        response = app.get(tk.url_for("dataset.read", id=private["name"]),
                           status=404)

        assert "secret_column" not in response.body


class TestWindowTitle:
    @staticmethod
    def _site_part(response):
        """Return the site title part of <title>, after the page's subtitle."""
        title = BeautifulSoup(response.body, "html.parser").title.get_text(strip=True)
        return title.split(" - ")[-1]

    def test_chinese_pages_use_chinese_name(self, app, catalogue):
        home = app.get(tk.url_for("home.index"))
        dataset = app.get(tk.url_for("dataset.read", id=catalogue["dataset"]["name"]))

        assert self._site_part(home) == SITE_TITLE
        assert self._site_part(dataset) == SITE_TITLE
        assert "<title>三级医疗机构基本信息 - " in dataset.body

    def test_english_pages_use_english_name(self, app, catalogue):
        home = app.get("/en" + tk.url_for("home.index"))
        dataset = app.get("/en" + tk.url_for("dataset.read", id=catalogue["dataset"]["name"]))

        assert self._site_part(home) == "Tianjin Information Resources Open Platform"
        assert self._site_part(dataset) == "Tianjin Information Resources Open Platform"
        assert "<title>三级医疗机构基本信息 - " in dataset.body
        assert SITE_TITLE not in BeautifulSoup(home.body, "html.parser").title.get_text()

    @pytest.mark.ckan_config("ckan.site_title", "滨海新区开放数据")
    def test_configured_title_kept_in_english(self, app, catalogue):
        home = app.get("/en" + tk.url_for("home.index"))

        assert self._site_part(home) == "滨海新区开放数据"

    @pytest.mark.parametrize("url, expected", [
        ("/dataset/", "数据集 - " + SITE_TITLE),
        ("/dataservice/", "数据接口 - " + SITE_TITLE),
        ("/en/dataset/", "Datasets - Tianjin Information Resources Open Platform"),
        ("/en/dataservice/", "Data services - Tianjin Information Resources Open Platform"),
    ])
    def test_search_pages_name_type(self, app, catalogue, url, expected):
        title = BeautifulSoup(app.get(url).body, "html.parser").title.get_text(strip=True)

        assert title == expected

    def test_item_pages_name_type(self, app, catalogue):
        dataset = app.get(tk.url_for("dataset.read", id=catalogue["dataset"]["name"]))
        service = app.get(tk.url_for("dataservice.read", id=catalogue["service"]["name"]))

        assert "<title>三级医疗机构基本信息 - 数据集 - " in dataset.body
        assert "<title>医疗机构执业登记接口 - 数据接口 - " in service.body


class TestAccountLinks:
    def test_user_sees_account_links(self, app, catalogue):
        user = factories.UserWithToken()

        response = app.get(tk.url_for("home.index"), headers={"Authorization": user["token"]})

        soup = BeautifulSoup(response.body, "html.parser")
        links = {
            " ".join(a.get_text().split()): a["href"]
            for a in soup.select(".account-masthead .tjportal-account-link a")
        }
        assert links == {"用户中心": "/feedback/centre", "开发者中心": "/developer/"}

    def test_anonymous_sees_developer_registration(self, app, catalogue):
        soup = BeautifulSoup(app.get(tk.url_for("home.index")).body, "html.parser")

        link = soup.select_one(".account-masthead .tjportal-account-link a")
        assert link.get_text(strip=True) == "注册为开发者"
        assert link["href"] == "/developer/register"


class TestDetailsTable:
    @staticmethod
    def _labels(response):
        soup = BeautifulSoup(response.body, "html.parser")
        return [th.get_text(strip=True) for th in soup.select(".additional-info th.dataset-label")]

    def test_empty_fields_have_no_row(self, app, catalogue):
        labels = self._labels(
            app.get(tk.url_for("dataset.read", id=catalogue["dataset"]["name"])))

        assert "更新频率" in labels
        assert "来源地址" in labels
        assert "联系人" not in labels
        assert "信息资源标识符" not in labels
        assert "资源名称" not in labels  # the title is the page heading

    def test_zero_record_count_has_a_row(self, app, catalogue):
        dataset = _dataset(catalogue["department"], catalogue["topic"],
                           name="empty-table", record_count="0")

        labels = self._labels(app.get(tk.url_for("dataset.read", id=dataset["name"])))

        assert "数据量" in labels
