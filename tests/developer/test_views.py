"""Tests of the developer pages: registration, 我的申请 and the review page."""
from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

import ckan.plugins.toolkit as tk
from ckan.tests import factories
from ckan.tests.helpers import call_action

from .helpers import PLUGINS, credit_code, registration

pytestmark = [
    pytest.mark.ckan_config("ckan.plugins", PLUGINS),
    pytest.mark.usefixtures("with_plugins", "clean_db", "clean_redis"),
]

SCRIPT_NAME = "<script>alert('x')</script>开发者"


def _headers(user):
    return {"Authorization": user["token"]}


def _url(endpoint, **values):
    # The English pages, so assertions can use the msgids.
    return "/en" + tk.url_for(endpoint, **values)


def _tab_links(response) -> list[str]:
    page = BeautifulSoup(response.body, "html.parser")
    return [link.get("href") for link in page.select(".page-header .nav-tabs a")]


def _token_on_page(response) -> str:
    return BeautifulSoup(response.body, "html.parser").find(id="tjportal-developer-token").text.strip()


class TestRegisterPage:
    def test_anonymous_sent_to_login(self, app):
        response = app.get(_url("tjportal_developer.register"), follow_redirects=False)
        assert response.status_code == 302
        assert "/user/login" in response.headers["Location"]

    def test_form_has_csrf_field(self, app):
        user = factories.UserWithToken()
        response = app.get(_url("tjportal_developer.register"), headers=_headers(user))
        form = BeautifulSoup(response.body, "html.parser").find("form", id="tjportal-developer-register")
        assert form.find("input", attrs={"name": "_csrf_token"}) is not None
        assert form.find("select", attrs={"name": "kind"}) is not None

    def test_register_shows_token_once(self, app, catalogue):
        user = factories.UserWithToken()
        response = app.post(_url("tjportal_developer.register"), data=registration(), headers=_headers(user))
        assert "It will not be shown again" in response.body
        token = _token_on_page(response)
        app.get("/api/3/action/datastore_search", query_string={"resource_id": catalogue["resource"]["id"]},
                headers={"Authorization": token})

        later = app.get(_url("tjportal_developer.mine"), headers=_headers(user))
        assert token not in later.body
        assert "Your token was issued on" in later.body

    def test_invalid_credit_code_shown(self, app):
        user = factories.UserWithToken()
        code = credit_code("91120104MA06ABCDE")
        wrong = code[:17] + ("0" if code[17] != "0" else "1")
        response = app.post(_url("tjportal_developer.register"), headers=_headers(user),
                            data=registration(kind="enterprise", organization_name="某公司", credit_code=wrong))
        assert response.status_code == 400
        assert "check character of this unified social credit code is wrong" in response.body
        assert 'value="某公司"' in response.body
        with pytest.raises(tk.ObjectNotFound):
            call_action("tjportal_developer_show", context={"user": user["name"]})

    def test_long_purpose_shown(self, app):
        user = factories.UserWithToken()
        response = app.post(_url("tjportal_developer.register"), headers=_headers(user),
                            data=registration(purpose="x" * 501))
        assert response.status_code == 400
        assert "at most 500 characters" in response.body

    def test_registered_user_sent_to_own_page(self, app, developer):
        user = factories.UserWithToken()
        call_action("tjportal_developer_register", context={"user": user["name"]}, **registration())
        response = app.get(_url("tjportal_developer.register"), headers=_headers(user), follow_redirects=False)
        assert response.status_code == 302
        assert response.headers["Location"].endswith("/developer/")

    def test_second_registration_redirected(self, app):
        user = factories.UserWithToken()
        call_action("tjportal_developer_register", context={"user": user["name"]}, **registration())
        # A second form submitted from another tab before the first finished.
        response = app.post(_url("tjportal_developer.register"), headers=_headers(user),
                            data=registration(name="另一个"), follow_redirects=False)
        assert response.status_code == 302
        shown = call_action("tjportal_developer_show", context={"user": user["name"]})
        assert shown["name"] == "海河数据工作室"

    def test_chinese_page(self, app):
        user = factories.UserWithToken()
        response = app.get(tk.url_for("tjportal_developer.register"), headers=_headers(user))
        assert response.status_code == 200
        assert "<html" in response.body


class TestMinePage:
    def test_shows_state_contact_and_usage(self, app, catalogue, developer):
        user = factories.UserWithToken()
        token = call_action("tjportal_developer_register", context={"user": user["name"]},
                            **registration(email="me@example.com"))["token"]
        for _ in range(2):
            app.get("/api/3/action/datastore_search", query_string={"resource_id": catalogue["resource"]["id"]},
                    headers={"Authorization": token})
        response = app.get(_url("tjportal_developer.mine"), headers=_headers(user))
        page = BeautifulSoup(response.body, "html.parser")
        assert "me@example.com" in response.body
        assert "Today: 2 of 10000 calls" in page.find(id="tjportal-developer-today").text
        cells = [cell.text.strip() for cell in page.find(id="tjportal-developer-usage").find_all("td")]
        assert "公交线路查询接口" in cells
        assert cells[-1] == "2"

    @pytest.mark.ckan_config("ckanext.tjportal.developer.auto_approve", "false")
    def test_pending_then_approved_issue_token(self, app):
        user = factories.UserWithToken()
        app.post(_url("tjportal_developer.register"), data=registration(), headers=_headers(user))
        pending = app.get(_url("tjportal_developer.mine"), headers=_headers(user))
        assert "waiting for a sysadmin" in pending.body
        assert "Issue token" not in pending.body

        developer = call_action("tjportal_developer_show", context={"user": user["name"]})
        call_action("tjportal_developer_approve", context={"user": factories.Sysadmin()["name"]}, id=developer["id"])
        approved = app.get(_url("tjportal_developer.mine"), headers=_headers(user))
        assert "Issue token" in approved.body
        issued = app.post(_url("tjportal_developer.token_issue"), headers=_headers(user))
        assert _token_on_page(issued)

    @pytest.mark.ckan_config("ckanext.tjportal.developer.auto_approve", "false")
    def test_rejection_reason_escaped(self, app):
        user = factories.UserWithToken()
        developer = call_action("tjportal_developer_register", context={"user": user["name"]}, **registration())
        call_action("tjportal_developer_reject", context={"user": factories.Sysadmin()["name"]},
                    id=developer["id"], reason="<b>材料不全</b>")
        response = app.get(_url("tjportal_developer.mine"), headers=_headers(user))
        assert "&lt;b&gt;材料不全&lt;/b&gt;" in response.body
        assert "<b>材料不全</b>" not in response.body
        assert "Register again" in response.body

    def test_regenerate_and_revoke(self, app, catalogue):
        user = factories.UserWithToken()
        first = call_action("tjportal_developer_register", context={"user": user["name"]}, **registration())["token"]
        regenerated = app.post(_url("tjportal_developer.token_issue"), headers=_headers(user))
        second = _token_on_page(regenerated)
        assert second != first
        search = "/api/3/action/datastore_search"
        query = {"resource_id": catalogue["resource"]["id"]}
        app.get(search, query_string=query, headers={"Authorization": first}, status=403)
        app.get(search, query_string=query, headers={"Authorization": second})

        revoked = app.post(_url("tjportal_developer.token_revoke"), headers=_headers(user))
        assert "Your developer token has been revoked" in revoked.body
        assert "You have no active token" in revoked.body
        app.get(search, query_string=query, headers={"Authorization": second}, status=403)

    def test_unregistered_user_sent_to_form(self, app):
        user = factories.UserWithToken()
        response = app.get(_url("tjportal_developer.mine"), headers=_headers(user), follow_redirects=False)
        assert response.status_code == 302
        assert "/developer/register" in response.headers["Location"]

    def test_linked_from_own_user_page_only(self, app, developer):
        user = factories.UserWithToken()
        own = app.get(_url("user.read", id=user["name"]), headers=_headers(user))
        other = factories.User()
        theirs = app.get(_url("user.read", id=other["name"]), headers=_headers(user))
        # The account bar links the user's own developer centre on every
        # page, so only the tabs of the user page count here.
        assert _url("tjportal_developer.mine") in _tab_links(own)
        assert _url("tjportal_developer.mine") not in _tab_links(theirs)


@pytest.mark.ckan_config("ckanext.tjportal.developer.auto_approve", "false")
class TestAdminPage:
    def _pending(self, **fields):
        user = factories.User()
        return call_action("tjportal_developer_register", context={"user": user["name"]}, **registration(**fields))

    def test_user_refused(self, app):
        user = factories.UserWithToken()
        app.get(_url("tjportal_developer.admin"), headers=_headers(user), status=403)

    def test_anonymous_refused(self, app):
        app.get(_url("tjportal_developer.admin"), status=403)

    def test_lists_contact_details_escaped(self, app):
        developer = self._pending(name=SCRIPT_NAME)
        sysadmin = factories.SysadminWithToken()
        response = app.get(_url("tjportal_developer.admin", state="pending"), headers=_headers(sysadmin))
        section = BeautifulSoup(response.body, "html.parser").find(id="developer-" + developer["id"])
        assert "dev@example.com" in section.text
        assert "<script>alert" not in response.body
        assert "&lt;script&gt;" in response.body
        assert section.find("input", attrs={"name": "_csrf_token"}) is not None

    def test_unknown_state_rejected(self, app):
        sysadmin = factories.SysadminWithToken()
        app.get(_url("tjportal_developer.admin", state="lost"), headers=_headers(sysadmin), status=400)

    def test_approve_reject_revoke(self, app):
        first = self._pending()
        second = self._pending()
        sysadmin = factories.SysadminWithToken()
        app.post(_url("tjportal_developer.review", id=first["id"], decision="approve"), headers=_headers(sysadmin))
        response = app.post(_url("tjportal_developer.review", id=second["id"], decision="reject"),
                            data={"reason": "用途不明确"}, headers=_headers(sysadmin))
        assert "Developer registration updated" in response.body
        context = {"user": sysadmin["name"]}
        assert call_action("tjportal_developer_show", context=context, id=first["id"])["state"] == "approved"
        rejected = call_action("tjportal_developer_show", context=context, id=second["id"])
        assert rejected["reject_reason"] == "用途不明确"

        app.post(_url("tjportal_developer.review", id=first["id"], decision="revoke"), headers=_headers(sysadmin))
        assert call_action("tjportal_developer_show", context=context, id=first["id"])["state"] == "revoked"

    def test_reject_without_reason_shows_error(self, app):
        developer = self._pending()
        sysadmin = factories.SysadminWithToken()
        response = app.post(_url("tjportal_developer.review", id=developer["id"], decision="reject"),
                            data={"reason": ""}, headers=_headers(sysadmin))
        assert "Missing value" in response.body
        shown = call_action("tjportal_developer_show", context={"user": sysadmin["name"]}, id=developer["id"])
        assert shown["state"] == "pending"

    def test_unknown_developer_not_found(self, app):
        sysadmin = factories.SysadminWithToken()
        app.post(_url("tjportal_developer.review", id="no-such-id", decision="approve"),
                 headers=_headers(sysadmin), status=404)

    def test_unknown_decision_not_found(self, app):
        developer = self._pending()
        sysadmin = factories.SysadminWithToken()
        app.post(_url("tjportal_developer.review", id=developer["id"], decision="delete"),
                 headers=_headers(sysadmin), status=404)

    def test_user_cannot_approve(self, app):
        developer = self._pending()
        user = factories.UserWithToken()
        app.post(_url("tjportal_developer.review", id=developer["id"], decision="approve"),
                 headers=_headers(user), status=403)

    def test_admin_tab_linked(self, app):
        sysadmin = factories.SysadminWithToken()
        response = app.get(_url("admin.index"), headers=_headers(sysadmin))
        assert tk.url_for("tjportal_developer.admin") in response.body
