"""Tests of the feedback plugin's links on the sysadmin pages (/ckan-admin/)."""
from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

import ckan.plugins.toolkit as tk

from .helpers import PLUGINS, headers

pytestmark = [
    pytest.mark.ckan_config("ckan.plugins", PLUGINS),
    pytest.mark.usefixtures("with_plugins", "clean_db"),
]

# Link targets and their Chinese labels.
ADMIN_LINKS = {
    "tjportal_feedback.report_overview": "纠错",
    "tjportal_feedback.faq_admin": "常见问题",
    "tjportal_survey.manage": "调查问卷",
}


def _admin_nav(response) -> dict[str, str]:
    """Return the admin page's tab links as {href: label}."""
    nav = BeautifulSoup(response.body, "html.parser").select(".page-header .nav a")
    return {link["href"]: " ".join(link.get_text(" ").split()) for link in nav}


class TestAdminLinks:
    def test_links_with_chinese_labels(self, app, catalogue):
        response = app.get(tk.url_for("admin.index"), headers=headers(catalogue["sysadmin"]))

        links = _admin_nav(response)
        for endpoint, label in ADMIN_LINKS.items():
            assert links.get(tk.url_for(endpoint)) == label

    def test_developer_links_kept(self, app, catalogue):
        response = app.get(tk.url_for("admin.index"), headers=headers(catalogue["sysadmin"]))

        labels = set(_admin_nav(response).values())
        assert "开发者" in labels
        assert "数据申请" in labels

    def test_english_labels(self, app, catalogue):
        response = app.get("/en" + tk.url_for("admin.index"), headers=headers(catalogue["sysadmin"]))

        labels = set(_admin_nav(response).values())
        assert {"Error reports", "FAQ", "Surveys"} <= labels

    def test_link_targets_open_for_sysadmin(self, app, catalogue):
        for endpoint in ADMIN_LINKS:
            response = app.get(tk.url_for(endpoint), headers=headers(catalogue["sysadmin"]))
            assert response.status_code == 200, endpoint

    def test_admin_page_refused_to_others(self, app, catalogue):
        response = app.get(tk.url_for("admin.index"), headers=headers(catalogue["member"]))

        assert response.status_code == 403

    def test_admin_page_text_in_chinese(self, app, catalogue):
        page = app.get(tk.url_for("admin.index"), headers=headers(catalogue["sysadmin"])).body

        assert "现有系统管理员" in page
        assert "将用户设为系统管理员" in page
        assert "系统管理员可以完全控制本平台" in page
        for english in ("Current Sysadmins", "Promote user to Sysadmin", "As a sysadmin user"):
            assert english not in page
