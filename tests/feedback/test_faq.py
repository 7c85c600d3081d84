"""Tests of the FAQ (常见问题): sysadmin management, the public page, its
search and Markdown sanitising."""
from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

import ckan.plugins.toolkit as tk
from ckan.tests import factories
from ckan.tests.helpers import call_action

from .helpers import PLUGINS, SCRIPT, as_user, headers, url

pytestmark = [
    pytest.mark.ckan_config("ckan.plugins", PLUGINS),
    pytest.mark.usefixtures("with_plugins", "clean_db"),
]


def _add(sysadmin, **fields):
    data = {"category": "数据下载", "question": "如何下载数据？", "answer": "在数据页面点击**下载**。"}
    data.update(fields)
    return call_action("tjportal_faq_create", context=as_user(sysadmin), **data)


class TestFaqActions:
    def test_sysadmin_creates_updates_deletes(self, catalogue):
        sysadmin = catalogue["sysadmin"]
        faq = _add(sysadmin)
        updated = call_action("tjportal_faq_update", context=as_user(sysadmin), id=faq["id"],
                              category="数据下载", question="怎样下载？", answer="点击下载。", position=2)
        assert updated["question"] == "怎样下载？"
        assert updated["position"] == 2
        call_action("tjportal_faq_delete", context=as_user(sysadmin), id=faq["id"])
        assert call_action("tjportal_faq_list", context=as_user()) == []

    @pytest.mark.parametrize("role", [None, "admin", "editor"])
    def test_others_cannot_manage(self, catalogue, role):
        with pytest.raises(tk.NotAuthorized):
            _add(catalogue[role] if role else None)

    def test_search_matches_question_and_answer(self, catalogue):
        _add(catalogue["sysadmin"])
        _add(catalogue["sysadmin"], category="开发者", question="如何申请令牌？", answer="注册开发者后获得 100% 配额。")
        assert [faq["question"] for faq in call_action("tjportal_faq_list", q="令牌")] == ["如何申请令牌？"]
        assert [faq["question"] for faq in call_action("tjportal_faq_list", q="下载")] == ["如何下载数据？"]
        assert [faq["question"] for faq in call_action("tjportal_faq_list", q="100%")] == ["如何申请令牌？"]
        # "_" is a LIKE wildcard for one character, and no entry contains it.
        assert call_action("tjportal_faq_list", q="_") == []

    def test_empty_question_rejected(self, catalogue):
        with pytest.raises(tk.ValidationError) as error:
            _add(catalogue["sysadmin"], question="  ")
        assert "question" in error.value.error_dict


class TestFaqPages:
    def test_public_page_renders_markdown(self, app, catalogue):
        _add(catalogue["sysadmin"])
        page = BeautifulSoup(app.get(url("tjportal_feedback.faq")).body, "html.parser")
        answer = page.find(class_="tjportal-faq-answer")
        assert answer.find("strong").text == "下载"

    def test_search_box_filters(self, app, catalogue):
        _add(catalogue["sysadmin"])
        body = app.get(url("tjportal_feedback.faq"), query_string={"q": "令牌"}).body
        assert "如何下载数据？" not in body
        assert "No questions found." in body

    def test_script_sanitised_and_escaped(self, app, catalogue):
        _add(catalogue["sysadmin"], category=SCRIPT + "分类", question=SCRIPT + "问题", answer=SCRIPT + "答案")
        for response in (app.get(url("tjportal_feedback.faq")),
                         app.get(url("tjportal_feedback.faq_admin"), headers=headers(catalogue["sysadmin"]))):
            assert SCRIPT not in response.body
        answer = BeautifulSoup(app.get(url("tjportal_feedback.faq")).body, "html.parser").find(class_="tjportal-faq-answer")
        assert answer.find("script") is None
        assert "答案" in answer.text

    def test_admin_page_sysadmin_only(self, app, catalogue):
        assert app.get(url("tjportal_feedback.faq_admin"), headers=headers(catalogue["admin"])).status_code == 403
        response = app.post(url("tjportal_feedback.faq_admin"), headers=headers(catalogue["admin"]),
                            data={"category": "分类", "question": "问题", "answer": "答案"})
        assert response.status_code == 403

    def test_admin_adds_question(self, app, catalogue):
        sysadmin = catalogue["sysadmin"]
        form_page = app.get(url("tjportal_feedback.faq_admin"), headers=headers(sysadmin))
        form = BeautifulSoup(form_page.body, "html.parser").find("form", id="tjportal-faq-form")
        assert form.find("input", attrs={"name": "_csrf_token"}) is not None
        added = app.post(url("tjportal_feedback.faq_admin"), headers=headers(sysadmin),
                         data={"category": "账号", "question": "忘记密码怎么办？", "answer": "使用找回密码。"})
        assert "The question has been added." in added.body
        assert "忘记密码怎么办？" in app.get(url("tjportal_feedback.faq")).body


class TestFaqEditing:
    def test_sysadmin_edits_every_field(self, app, catalogue):
        sysadmin = catalogue["sysadmin"]
        faq = _add(sysadmin)
        _add(sysadmin, category="账号", question="如何注册？", answer="点击注册。", position=1)

        admin_page = BeautifulSoup(app.get(url("tjportal_feedback.faq_admin"), headers=headers(sysadmin)).body,
                                   "html.parser")
        edit_links = [link["href"] for link in admin_page.find_all("a", class_="tjportal-faq-edit")]
        assert url("tjportal_feedback.faq_edit", id=faq["id"]) in edit_links

        form_page = app.get(url("tjportal_feedback.faq_edit", id=faq["id"]), headers=headers(sysadmin))
        form = BeautifulSoup(form_page.body, "html.parser").find("form", id="tjportal-faq-edit-form")
        assert form.find("input", attrs={"name": "_csrf_token"}) is not None
        assert form.find("input", attrs={"name": "question"})["value"] == "如何下载数据？"
        assert form.find("textarea", attrs={"name": "answer"}).text == "在数据页面点击**下载**。"

        saved = app.post(form["action"], headers=headers(sysadmin),
                         data={"category": "账号", "question": "怎样下载数据？", "answer": "点击*下载*按钮。", "position": "0"})
        assert "The question has been saved." in saved.body

        stored = call_action("tjportal_faq_show", id=faq["id"])
        assert (stored["category"], stored["question"], stored["answer"], stored["position"]) == (
            "账号", "怎样下载数据？", "点击*下载*按钮。", 0)
        # Position 0 now sorts it before "如何注册？" (position 1) in 账号.
        questions = [item["question"] for item in call_action("tjportal_faq_list", category="账号")]
        assert questions == ["怎样下载数据？", "如何注册？"]
        public = BeautifulSoup(app.get(url("tjportal_feedback.faq")).body, "html.parser")
        assert public.find(class_="tjportal-faq-answer").find("em").text == "下载"

    def test_invalid_input_keeps_stored_question(self, app, catalogue):
        sysadmin = catalogue["sysadmin"]
        faq = _add(sysadmin)
        response = app.post(url("tjportal_feedback.faq_edit", id=faq["id"]), headers=headers(sysadmin),
                            data={"category": "数据下载", "question": "  ", "answer": "新的答案", "position": "first"})
        assert response.status_code == 400
        form = BeautifulSoup(response.body, "html.parser").find("form", id="tjportal-faq-edit-form")
        assert form.find("textarea", attrs={"name": "answer"}).text == "新的答案"
        errors = BeautifulSoup(response.body, "html.parser").find(class_="alert-danger").text
        # The English page names the fields by their form labels.
        assert "Question" in errors
        assert "Position" in errors
        assert call_action("tjportal_faq_show", id=faq["id"])["answer"] == "在数据页面点击**下载**。"

    @pytest.mark.parametrize("role", ["admin", "editor", "member"])
    def test_others_cannot_edit(self, app, catalogue, role):
        faq = _add(catalogue["sysadmin"])
        edit_url = url("tjportal_feedback.faq_edit", id=faq["id"])
        assert app.get(edit_url, headers=headers(catalogue[role])).status_code == 403
        response = app.post(edit_url, headers=headers(catalogue[role]),
                            data={"category": "分类", "question": "改过的问题", "answer": "答案"})
        assert response.status_code == 403
        assert call_action("tjportal_faq_show", id=faq["id"])["question"] == "如何下载数据？"

    def test_anonymous_sent_to_login(self, app, catalogue):
        faq = _add(catalogue["sysadmin"])
        response = app.get(url("tjportal_feedback.faq_edit", id=faq["id"]), follow_redirects=False)
        assert response.status_code == 302
        assert "/user/login" in response.headers["Location"]

    def test_unknown_question_not_found(self, app, catalogue):
        response = app.get(url("tjportal_feedback.faq_edit", id="no-such-question"),
                           headers=headers(catalogue["sysadmin"]))
        assert response.status_code == 404

    def test_session_post_needs_csrf_token(self, app, catalogue):
        # The tests above post with API tokens, which makes CKAN 2.12 exempt
        # this view from its CSRF check; the portal checks it again.
        faq = _add(catalogue["sysadmin"])
        edit_url = url("tjportal_feedback.faq_edit", id=faq["id"])
        app.post(edit_url, headers=headers(catalogue["sysadmin"]),
                 data={"category": "数据下载", "question": "如何下载数据？", "answer": "答案", "position": "0"})
        password = "Correct-Horse-2026"
        sysadmin = factories.Sysadmin(password=password)
        login_form = BeautifulSoup(app.get(url("user.login")).body, "html.parser")
        token = login_form.find("input", attrs={"name": "_csrf_token"})["value"]
        app.post(url("user.login"), data={"login": sysadmin["name"], "password": password, "_csrf_token": token})

        fields = {"category": "数据下载", "question": "没有令牌的修改", "answer": "答案", "position": "0"}
        assert app.post(edit_url, data=fields).status_code == 400
        assert call_action("tjportal_faq_show", id=faq["id"])["question"] == "如何下载数据？"

        form = BeautifulSoup(app.get(edit_url).body, "html.parser").find("form", id="tjportal-faq-edit-form")
        token = form.find("input", attrs={"name": "_csrf_token"})["value"]
        app.post(edit_url, data={**fields, "_csrf_token": token})
        assert call_action("tjportal_faq_show", id=faq["id"])["question"] == "没有令牌的修改"
