"""Tests of open-data suggestions (开放建议): the workflow through the
actions and the pages, support (+1), due dates, permissions and bad input."""
from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from freezegun import freeze_time

import ckan.plugins.toolkit as tk
from ckan.tests import factories
from ckan.tests.helpers import call_action

from .helpers import PLUGINS, SCRIPT, as_user, headers, url

pytestmark = [
    pytest.mark.ckan_config("ckan.plugins", PLUGINS),
    pytest.mark.usefixtures("with_plugins", "clean_db"),
]


def _suggest(user, **fields):
    data = {"title": "实时公交到站数据", "wanted_type": "dataservice", "reason": "方便出行"}
    data.update(fields)
    return call_action("tjportal_suggestion_create", context=as_user(user), **data)


def _step(user, step, suggestion_id, **fields):
    return call_action("tjportal_suggestion_" + step, context=as_user(user), id=suggestion_id, **fields)


class TestSuggestionActions:
    def test_create_with_department_and_topic(self, catalogue):
        suggestion = _suggest(factories.User(), organization="tj-transport", group="transport")
        assert suggestion["state"] == "submitted"
        assert suggestion["organization_title"] == "天津市交通运输委员会"
        assert suggestion["group_title"] == "交通出行"
        assert suggestion["support_count"] == 0

    @freeze_time("2026-12-05 10:00:00+08:00")
    def test_due_date_skips_weekend(self, catalogue):
        assert _suggest(factories.User())["due_date"] == "2026-12-08"

    def test_accept_then_fulfil_links_dataset(self, catalogue):
        suggestion = _suggest(factories.User(), organization="tj-transport")
        _step(catalogue["editor"], "accept", suggestion["id"], reply="计划下月开放")
        fulfilled = _step(catalogue["editor"], "fulfil", suggestion["id"],
                          package_id=catalogue["service"]["name"], reply="已开放")
        assert fulfilled["state"] == "fulfilled"
        assert fulfilled["package_name"] == "bus-lines"

    def test_reject_needs_reply(self, catalogue):
        suggestion = _suggest(factories.User(), organization="tj-transport")
        with pytest.raises(tk.ValidationError) as error:
            _step(catalogue["editor"], "reject", suggestion["id"])
        assert "reply" in error.value.error_dict

    def test_fulfil_needs_existing_dataset(self, catalogue):
        suggestion = _suggest(factories.User(), organization="tj-transport")
        with pytest.raises(tk.ValidationError) as error:
            _step(catalogue["editor"], "fulfil", suggestion["id"], package_id="no-such", reply="好")
        assert "package_id" in error.value.error_dict

    @pytest.mark.parametrize("first, then", [("reject", "accept"), ("reject", "fulfil"), ("accept", "accept")])
    def test_step_from_wrong_state_conflicts(self, catalogue, first, then):
        suggestion = _suggest(factories.User(), organization="tj-transport")
        _step(catalogue["editor"], first, suggestion["id"], reply="答复")
        with pytest.raises(tk.ValidationError) as error:
            _step(catalogue["editor"], then, suggestion["id"], reply="答复", package_id="bus-lines")
        assert "state" in error.value.error_dict

    def test_support_once_per_user(self, catalogue):
        suggestion = _suggest(factories.User())
        supporter = factories.User()
        supported = call_action("tjportal_suggestion_support", context=as_user(supporter), id=suggestion["id"])
        assert supported["support_count"] == 1
        assert supported["supported"] is True
        with pytest.raises(tk.ValidationError):
            call_action("tjportal_suggestion_support", context=as_user(supporter), id=suggestion["id"])
        assert call_action("tjportal_suggestion_show", id=suggestion["id"])["support_count"] == 1

    @pytest.mark.parametrize("fields, key", [
        ({"title": ""}, "title"),
        ({"title": "长" * 201}, "title"),
        ({"reason": "   "}, "reason"),
        ({"wanted_type": "report"}, "wanted_type"),
        ({"organization": "no-such-department"}, "organization"),
        ({"group": "tj-transport"}, "group"),
    ])
    def test_invalid_fields_rejected(self, catalogue, fields, key):
        with pytest.raises(tk.ValidationError) as error:
            _suggest(factories.User(), **fields)
        assert key in error.value.error_dict

    def test_anonymous_cannot_suggest_or_support(self, catalogue):
        suggestion = _suggest(factories.User())
        with pytest.raises(tk.NotAuthorized):
            _suggest(None)
        with pytest.raises(tk.NotAuthorized):
            call_action("tjportal_suggestion_support", context=as_user(), id=suggestion["id"])

    @pytest.mark.parametrize("role", ["member", "other_editor"])
    def test_outsiders_cannot_answer(self, catalogue, role):
        suggestion = _suggest(factories.User(), organization="tj-transport")
        with pytest.raises(tk.NotAuthorized):
            _step(catalogue[role], "accept", suggestion["id"])

    def test_without_department_only_sysadmins_answer(self, catalogue):
        suggestion = _suggest(factories.User())
        with pytest.raises(tk.NotAuthorized):
            _step(catalogue["admin"], "accept", suggestion["id"])
        assert _step(catalogue["sysadmin"], "accept", suggestion["id"])["state"] == "accepted"

    @pytest.mark.ckan_config("ckanext.tjportal.feedback.max_per_hour", 1)
    def test_rate_limited(self, catalogue):
        user = factories.User()
        _suggest(user)
        with pytest.raises(tk.NotAuthorized) as error:
            _suggest(user)
        assert "Try again in" in str(error.value)


class TestSuggestionPages:
    def test_public_list_and_detail(self, app, catalogue):
        suggestion = _suggest(factories.User(), title="停车场空位数据")
        listing = app.get(url("tjportal_feedback.suggestion_list"))
        assert "停车场空位数据" in listing.body
        detail = app.get(url("tjportal_feedback.suggestion_read", id=suggestion["id"]))
        assert "Log in to support suggestions." in detail.body

    def test_form_submit_and_mine(self, app, catalogue):
        user = factories.UserWithToken()
        form_page = app.get(url("tjportal_feedback.suggestion_new"), headers=headers(user))
        form = BeautifulSoup(form_page.body, "html.parser").find("form", id="tjportal-suggestion-form")
        assert form.find("input", attrs={"name": "_csrf_token"}) is not None
        sent = app.post(url("tjportal_feedback.suggestion_new"),
                        data={"title": "共享单车停放点", "wanted_type": "dataset", "reason": "规划", "organization": "tj-transport"},
                        headers=headers(user))
        assert "Thank you, your suggestion has been published." in sent.body
        mine = app.get(url("tjportal_feedback.suggestion_mine"), headers=headers(user))
        assert "共享单车停放点" in mine.body
        others = app.get(url("tjportal_feedback.suggestion_mine"), headers=headers(factories.UserWithToken()))
        assert "共享单车停放点" not in others.body

    def test_empty_reason_answers_400(self, app, catalogue):
        response = app.post(url("tjportal_feedback.suggestion_new"),
                            data={"title": "数据", "wanted_type": "either", "reason": ""},
                            headers=headers(factories.UserWithToken()))
        assert response.status_code == 400
        assert "Missing value" in response.body

    def test_second_support_answers_409(self, app, catalogue):
        suggestion = _suggest(factories.User())
        user = factories.UserWithToken()
        path = url("tjportal_feedback.suggestion_support", id=suggestion["id"])
        first = app.post(path, headers=headers(user))
        assert "1 supporters" in first.body
        assert app.post(path, headers=headers(user)).status_code == 409
        api = app.post("/api/3/action/tjportal_suggestion_support", json={"id": suggestion["id"]}, headers=headers(user))
        assert api.status_code == 409

    def test_department_fulfils_on_page(self, app, catalogue):
        suggestion = _suggest(factories.User(), organization="tj-transport")
        detail = app.get(url("tjportal_feedback.suggestion_read", id=suggestion["id"]), headers=headers(catalogue["editor"]))
        assert "Mark fulfilled" in detail.body
        outsider = app.get(url("tjportal_feedback.suggestion_read", id=suggestion["id"]),
                           headers=headers(catalogue["other_editor"]))
        assert "Mark fulfilled" not in outsider.body
        done = app.post(url("tjportal_feedback.suggestion_step", id=suggestion["id"], step="fulfil"),
                        data={"package_id": "bus-lines", "reply": "已开放接口"}, headers=headers(catalogue["editor"]))
        link = BeautifulSoup(done.body, "html.parser").find("a", class_="tjportal-suggestion-dataset")
        assert link["href"].endswith("/dataservice/bus-lines")
        skipped = app.post(url("tjportal_feedback.suggestion_step", id=suggestion["id"], step="accept"),
                           headers=headers(catalogue["editor"]))
        assert skipped.status_code == 409

    def test_outsider_answer_forbidden(self, app, catalogue):
        suggestion = _suggest(factories.User(), organization="tj-transport")
        response = app.post(url("tjportal_feedback.suggestion_step", id=suggestion["id"], step="accept"),
                            headers=headers(catalogue["other_editor"]))
        assert response.status_code == 403

    def test_unknown_suggestion_answers_404(self, app, catalogue):
        assert app.get(url("tjportal_feedback.suggestion_read", id="nope")).status_code == 404

    def test_script_escaped_everywhere(self, app, catalogue):
        author = factories.UserWithToken(fullname=SCRIPT + "建议人")
        suggestion = _suggest(author, title=SCRIPT + "标题", reason=SCRIPT + "理由", organization="tj-transport")
        _step(catalogue["editor"], "reject", suggestion["id"], reply=SCRIPT + "答复")
        pages = [
            app.get(url("tjportal_feedback.suggestion_list")),
            app.get(url("tjportal_feedback.suggestion_read", id=suggestion["id"])),
            app.get(url("tjportal_feedback.suggestion_mine"), headers=headers(author)),
            app.get(url("tjportal_feedback.centre"), headers=headers(author)),
        ]
        for response in pages:
            assert SCRIPT not in response.body
            assert "&lt;script&gt;" in response.body

    def test_anonymous_sent_to_login(self, app, catalogue):
        for path in (url("tjportal_feedback.suggestion_new"), url("tjportal_feedback.suggestion_mine")):
            response = app.get(path, follow_redirects=False)
            assert response.status_code == 302
            assert "/user/login" in response.headers["Location"]
