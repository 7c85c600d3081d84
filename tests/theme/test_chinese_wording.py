"""Tests of the Chinese wording of core pages that the portal's catalogue
corrects: dataset tabs, favourites (收藏), login, search and registration."""
from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

import ckan.plugins.toolkit as tk
from ckan.tests import factories
from ckan.tests.helpers import call_action

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")


@pytest.fixture
def dataset():
    department = factories.Organization(name="tj-health", title="天津市卫生健康委员会")
    topic = factories.Group(name="health", title="医疗卫生")
    return call_action(
        "package_create",
        context={"user": factories.Sysadmin()["name"]},
        type="dataset",
        name="hospitals",
        title="三级医疗机构基本信息",
        owner_org=department["id"],
        groups=[{"name": topic["name"]}],
        update_frequency="monthly",
        open_condition="unconditional",
        publish_date="2019-03-01",
        update_date="2026-08-20",
    )


def _soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.body, "html.parser")


def _text(element) -> str:
    return " ".join(element.get_text(" ").split())


def _headers(user) -> dict[str, str]:
    return {"Authorization": user["token"]}


class TestDatasetPage:
    def test_dataset_tab_reads_dataset(self, app, dataset):
        response = app.get(tk.url_for("dataset.read", id=dataset["name"]))

        tabs = [_text(link) for link in _soup(response).select(".page-header .nav a")]
        assert "数据集" in tabs
        assert "数据" not in tabs

    def test_follow_button_reads_favourite(self, app, dataset):
        user = factories.UserWithToken()

        response = app.get(tk.url_for("dataset.read", id=dataset["name"]), headers=_headers(user))

        info = _text(_soup(response).find(id="package-info"))
        assert "收藏人数" in info
        assert "收藏" in info
        assert "追随" not in info
        assert "追从者" not in info

    def test_followed_dataset_offers_removal(self, app, dataset):
        user = factories.UserWithToken()
        call_action("follow_dataset", context={"user": user["name"]}, id=dataset["id"])

        response = app.get(tk.url_for("dataset.read", id=dataset["name"]), headers=_headers(user))

        button = _soup(response).find(id="package-info").find("a", class_="btn")
        assert _text(button) == "取消收藏"
        assert button["hx-post"] == tk.url_for("dataset.unfollow", id=dataset["id"])

    def test_follow_request_returns_favourite_wording(self, app, dataset):
        user = factories.UserWithToken()

        response = app.post(tk.url_for("dataset.follow", id=dataset["id"]), headers=_headers(user))

        assert "取消收藏" in response.body
        assert call_action("am_following_dataset", context={"user": user["name"]}, id=dataset["id"])

    def test_english_follow_button(self, app, dataset):
        user = factories.UserWithToken()

        response = app.get("/en" + tk.url_for("dataset.read", id=dataset["name"]), headers=_headers(user))

        info = _text(_soup(response).find(id="package-info"))
        assert "Followed by" in info
        assert "Follow this dataset" in info

    def test_user_follow_button_keeps_core_wording(self, app):
        viewer = factories.UserWithToken()
        other = factories.User()

        response = app.get(tk.url_for("user.read", id=other["name"]), headers=_headers(viewer))

        assert "取消收藏" not in response.body
        assert "收藏人数" not in response.body


class TestLoginAndSearch:
    def test_login_page_chinese(self, app):
        response = app.get(tk.url_for("user.login"))

        assert "用户名或电子邮件地址" in response.body
        assert "Username or Email" not in response.body
        assert "登陆" not in response.body
        assert _text(_soup(response).find("button", attrs={"type": "submit", "class": "btn-primary"})) == "登录"

    def test_search_footer_reads_api(self, app, dataset):
        response = app.get(tk.url_for("dataset.search"))

        # The sentence contains two links, so compare it without spaces.
        text = "".join(_soup(response).get_text().split())
        assert "您也可以通过接口访问这些数据（参见API文档）。" in text
        assert "API文献" not in response.body

    def test_footer_powered_by_chinese(self, app):
        response = app.get(tk.url_for("user.login"))

        footer = _text(_soup(response).find("footer"))
        assert "技术支持" in footer
        assert "Powered by" not in footer


class TestRegistration:
    def test_developer_bad_email_chinese(self, app):
        user = factories.UserWithToken()
        form = {"name": "海河数据工作室", "kind": "individual", "email": "bad",
                "mobile": "13812345678", "purpose": "开发公交出行查询小程序"}

        response = app.post(tk.url_for("tjportal_developer.register"), data=form, headers=_headers(user))

        assert "电子邮件地址 bad 格式无效" in response.body
        assert "is not a valid format" not in response.body

    @pytest.mark.ckan_config("ckan.auth.create_user_via_web", True)
    def test_user_register_page_chinese(self, app):
        response = app.get(tk.url_for("user.register"))

        text = _text(_soup(response).find(id="content"))
        assert "头像" in text
        assert "Profile picture" not in text
        assert "Create datasets, groups and other exciting things" not in text


class TestUserPages:
    def test_profile_page_chinese(self, app):
        user = factories.UserWithToken()

        response = app.get(tk.url_for("user.read", id=user["name"]), headers=_headers(user))

        info = _text(_soup(response).find(class_="context-info"))
        assert "正常" in info
        assert "Last Active" not in info
        assert "This information is visible to you and admins" not in response.body

    def test_edit_page_markdown_hint_chinese(self, app):
        user = factories.UserWithToken()

        response = app.get(tk.url_for("user.edit", id=user["name"]), headers=_headers(user))

        assert "Markdown 格式" in response.body
        assert "Markdown formatting" not in response.body
