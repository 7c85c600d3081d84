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
