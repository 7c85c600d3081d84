"""Tests of the user centre (用户中心) and its tab on the user page."""
from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from ckan.tests import factories
from ckan.tests.helpers import call_action

from .helpers import PLUGINS, SCRIPT, as_user, headers, scores, url

pytestmark = [
    pytest.mark.ckan_config("ckan.plugins", PLUGINS),
    pytest.mark.usefixtures("with_plugins", "clean_db"),
]


def _tab_labels(response) -> list[str]:
    page = BeautifulSoup(response.body, "html.parser")
    return [tab.get_text(strip=True) for tab in page.select(".page-header .nav-tabs li")]


class TestCentre:
    def test_sections_show_own_items(self, app, catalogue):
        user = factories.UserWithToken()
        call_action("follow_dataset", context=as_user(user), id=catalogue["service"]["id"])
        call_action("tjportal_rating_create", context=as_user(user),
                    package_id=catalogue["dataset"]["id"], comment=SCRIPT + "评价", **scores())
        call_action("tjportal_report_create", context=as_user(user), package_id=catalogue["extra"]["id"],
                    kind="data", description="票价过期")
        call_action("tjportal_rating_create", context=as_user(catalogue["member"]),
                    package_id=catalogue["extra"]["id"], comment="别人的评价", **scores())

        response = app.get(url("tjportal_feedback.centre"), headers=headers(user))
        page = BeautifulSoup(response.body, "html.parser")
        assert "公交线路查询接口" in page.find(id="centre-followed").text
        assert "公交票价" in page.find(id="centre-reports").text
        assert "Submitted" in page.find(id="centre-reports").text
        ratings = page.find(id="centre-ratings").text
        assert "公交站点" in ratings
        assert "别人的评价" not in ratings
        assert page.find(id="centre-developer").find("a", href=lambda href: href and "/developer/" in href)
        assert SCRIPT not in response.body
        assert "&lt;script&gt;" in response.body

    def test_anonymous_sent_to_login(self, app, catalogue):
        response = app.get(url("tjportal_feedback.centre"), follow_redirects=False)
        assert response.status_code == 302
        assert "/user/login" in response.headers["Location"]

    def test_user_page_has_both_tabs(self, app, catalogue):
        user = factories.UserWithToken()
        own = app.get(url("user.read", id=user["name"]), headers=headers(user))
        other = app.get(url("user.read", id=user["name"]), headers=headers(factories.UserWithToken()))

        # The account bar links every logged-in user's own centre, so only
        # the tabs of the user page count here.
        own_tabs = _tab_labels(own)
        assert "User centre" in own_tabs
        assert "My application" in own_tabs
        assert "User centre" not in _tab_labels(other)
