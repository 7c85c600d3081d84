"""Tests of the developer auth functions and of who sees contact details."""
from __future__ import annotations

import json

import pytest

import ckan.plugins.toolkit as tk
from ckan.tests import factories
from ckan.tests.helpers import call_action, call_auth

from .helpers import PLUGINS, registration

pytestmark = [
    pytest.mark.ckan_config("ckan.plugins", PLUGINS),
    pytest.mark.usefixtures("with_plugins", "clean_db", "clean_redis"),
]

SYSADMIN_ONLY = [
    "tjportal_developer_list",
    "tjportal_developer_approve",
    "tjportal_developer_reject",
    "tjportal_developer_revoke",
    "tjportal_developer_usage_flush",
]
OWNER_ONLY = [
    "tjportal_developer_show",
    "tjportal_developer_token_issue",
    "tjportal_developer_token_revoke",
    "tjportal_developer_usage_list",
]
PRIVATE_FIELDS = ["email", "mobile", "credit_code", "organization_name", "purpose"]


class TestDeveloperAuth:
    def test_anonymous_cannot_register(self):
        with pytest.raises(tk.NotAuthorized):
            call_auth("tjportal_developer_register", context={"user": ""})

    def test_user_can_register(self):
        user = factories.User()
        assert call_auth("tjportal_developer_register", context={"user": user["name"]})

    @pytest.mark.parametrize("action", SYSADMIN_ONLY)
    def test_review_refused_to_users(self, action, developer):
        user = factories.User()
        with pytest.raises(tk.NotAuthorized):
            call_auth(action, context={"user": user["name"]}, id=developer["developer"]["id"])
        with pytest.raises(tk.NotAuthorized):
            call_auth(action, context={"user": developer["user"]["name"]}, id=developer["developer"]["id"])

    @pytest.mark.parametrize("action", SYSADMIN_ONLY + OWNER_ONLY)
    def test_sysadmin_allowed(self, action, developer):
        sysadmin = factories.Sysadmin()
        assert call_auth(action, context={"user": sysadmin["name"]}, id=developer["developer"]["id"])

    @pytest.mark.parametrize("action", OWNER_ONLY)
    def test_owner_allowed(self, action, developer):
        assert call_auth(action, context={"user": developer["user"]["name"]})
        assert call_auth(action, context={"user": developer["user"]["name"]}, id=developer["developer"]["id"])

    @pytest.mark.parametrize("action", OWNER_ONLY)
    def test_other_user_refused(self, action, developer):
        other = factories.User()
        with pytest.raises(tk.NotAuthorized):
            call_auth(action, context={"user": other["name"]}, id=developer["developer"]["id"])
        with pytest.raises(tk.NotAuthorized):
            call_auth(action, context={"user": other["name"]}, user=developer["user"]["name"])

    @pytest.mark.parametrize("action", OWNER_ONLY)
    def test_anonymous_refused(self, action, developer):
        with pytest.raises(tk.NotAuthorized):
            call_auth(action, context={"user": ""}, id=developer["developer"]["id"])


class TestContactPrivacy:
    def _enterprise(self):
        user = factories.UserWithToken()
        call_action("tjportal_developer_register", context={"user": user["name"]},
                    **registration(kind="enterprise", organization_name="天津某科技有限公司",
                                   credit_code="91350100M000100Y43"))
        return user

    def test_owner_sees_contact_details(self):
        user = self._enterprise()
        shown = call_action("tjportal_developer_show", context={"user": user["name"]})
        assert shown["email"] == "dev@example.com"
        assert shown["credit_code"] == "91350100M000100Y43"

    def test_sysadmin_sees_contact_details(self):
        user = self._enterprise()
        sysadmin = factories.Sysadmin()
        shown = call_action("tjportal_developer_show", context={"user": sysadmin["name"]}, user=user["name"])
        assert shown["mobile"] == "13812345678"
        assert shown["credit_code"] == "91350100M000100Y43"

    def test_internal_caller_gets_no_contact_details(self):
        user = self._enterprise()
        other = factories.User()
        shown = call_action("tjportal_developer_show", context={"user": other["name"], "ignore_auth": True},
                            user=user["name"])
        assert shown["name"] == "海河数据工作室"
        for field in PRIVATE_FIELDS:
            assert field not in shown

    def test_api_refuses_other_user(self, app):
        user = self._enterprise()
        other = factories.UserWithToken()
        response = app.get("/api/3/action/tjportal_developer_show", query_string={"user": user["name"]},
                           headers={"Authorization": other["token"]}, status=403)
        assert "91350100M000100Y43" not in response.body
        assert "dev@example.com" not in response.body

    def test_api_shows_owner(self, app):
        user = self._enterprise()
        response = app.get("/api/3/action/tjportal_developer_show", headers={"Authorization": user["token"]})
        assert json.loads(response.body)["result"]["credit_code"] == "91350100M000100Y43"

    def test_api_register_twice_conflicts(self, app):
        user = self._enterprise()
        response = app.post("/en/api/3/action/tjportal_developer_register", json=registration(),
                            headers={"Authorization": user["token"]}, status=409)
        assert "already registered" in json.loads(response.body)["error"]["user"][0]

    def test_api_bad_credit_code_conflicts(self, app):
        user = factories.UserWithToken()
        response = app.post(
            "/en/api/3/action/tjportal_developer_register",
            json=registration(kind="enterprise", organization_name="某公司", credit_code="91350100M000100Y44"),
            headers={"Authorization": user["token"]}, status=409,
        )
        assert "check character" in json.loads(response.body)["error"]["credit_code"][0]
        call_action("tjportal_developer_register", context={"user": user["name"]}, **registration())
