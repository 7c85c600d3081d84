"""Tests of surveys (调查问卷): publishing, answering once while open,
validation of answers, permissions, aggregated results, the CSV export,
escaping on every page, and the migration."""
from __future__ import annotations

import csv
import datetime
import io
import subprocess
import sys
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.tests import factories
from ckan.tests.helpers import call_action

from ckanext.tjportal.feedback.model import Survey, SurveyAnswer, SurveyResponse

from .helpers import PLUGINS, SCRIPT, as_user, headers, url

pytestmark = [
    pytest.mark.ckan_config("ckan.plugins", PLUGINS),
    pytest.mark.usefixtures("with_plugins", "clean_db", "clean_redis"),
]

QUESTIONS = [
    {"kind": "single", "text": "您多久使用一次本平台？", "required": True, "options": ["每天", "每周", "每月"]},
    {"kind": "multiple", "text": "您关注哪些领域？", "required": False, "options": ["交通", "医疗", "教育"]},
    {"kind": "text", "text": "您对平台有什么建议？", "required": False},
]


def _when(days: float) -> str:
    """Return a UTC time ``days`` from now, in the format the actions take."""
    moment = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=days)
    return moment.isoformat(timespec="minutes")


def _create(sysadmin, **fields):
    data = {
        "title": "平台满意度调查",
        "description": "请花两分钟填写。",
        "opens": _when(-1),
        "closes": _when(7),
        "questions": QUESTIONS,
    }
    data.update(fields)
    return call_action("tjportal_survey_create", context=as_user(sysadmin), **data)


def _answers(survey, single=0, multiple=(0, 2), text="希望增加更多交通数据"):
    """Return the ``answers`` parameter, choosing options by their index."""
    single_question, multiple_question, text_question = survey["questions"]
    answers = {}
    if single is not None:
        answers[single_question["id"]] = single_question["options"][single]["id"]
    if multiple:
        answers[multiple_question["id"]] = [multiple_question["options"][index]["id"] for index in multiple]
    if text is not None:
        answers[text_question["id"]] = text
    return answers


def _answer(user, survey, **choices):
    return call_action("tjportal_survey_answer", context=as_user(user), id=survey["id"],
                       answers=_answers(survey, **choices))


@pytest.fixture
def sysadmin():
    return factories.SysadminWithToken()


@pytest.fixture
def survey(sysadmin):
    return _create(sysadmin)


class TestSurveyActions:
    def test_create_with_each_kind(self, survey):
        assert survey["status"] == "open"
        assert [question["kind"] for question in survey["questions"]] == ["single", "multiple", "text"]
        assert [question["position"] for question in survey["questions"]] == [1, 2, 3]
        assert [option["text"] for option in survey["questions"][0]["options"]] == ["每天", "每周", "每月"]
        assert survey["questions"][0]["required"] is True
        assert survey["questions"][2]["options"] == []
        assert survey["response_count"] == 0

    def test_date_alone_closes_at_end_of_day(self, sysadmin):
        survey = _create(sysadmin, opens="2026-01-01", closes="2026-01-31")
        assert survey["opens_display"] == "2026-01-01 00:00"
        assert survey["closes_display"] == "2026-02-01 00:00"
        # Stored as UTC: midnight in Asia/Shanghai is 16:00 the day before.
        assert survey["opens"] == "2025-12-31T16:00:00"

    @pytest.mark.parametrize("fields, key", [
        ({"title": " "}, "title"),
        ({"closes": _when(-2)}, "closes"),
        ({"opens": "明天"}, "opens"),
        ({"questions": []}, "questions"),
        ({"questions": [{"kind": "single", "text": "只有一个选项", "options": ["是"]}]}, "questions"),
        ({"questions": [{"kind": "multiple", "text": "重复选项", "options": ["是", "是"]}]}, "questions"),
        ({"questions": [{"kind": "rating", "text": "未知类型", "options": ["1", "2"]}]}, "questions"),
        ({"questions": [{"kind": "text", "text": "文本题", "options": ["是", "否"]}]}, "questions"),
        ({"questions": [{"kind": "text", "text": "  "}]}, "questions"),
    ])
    def test_invalid_survey_rejected(self, sysadmin, fields, key):
        with pytest.raises(tk.ValidationError) as error:
            _create(sysadmin, **fields)
        assert key in error.value.error_dict
        assert model.Session.query(Survey).count() == 0

    def test_answer_once_then_conflict(self, survey):
        user = factories.User()
        _answer(user, survey)
        with pytest.raises(tk.ValidationError) as error:
            _answer(user, survey, single=1)
        assert error.value.error_dict["state"] == ["You have already answered this survey."]
        shown = call_action("tjportal_survey_show", context=as_user(user), id=survey["id"])
        assert shown["answered"] is True
        assert shown["response_count"] == 1

    @pytest.mark.parametrize("case", ["other_question_option", "unknown_option", "missing_required",
                                      "two_on_single", "text_too_long"])
    def test_invalid_answer_rejected(self, survey, case):
        single, multiple, text = survey["questions"]
        answers = _answers(survey)
        if case == "other_question_option":
            answers[single["id"]] = multiple["options"][0]["id"]
            key = single["id"]
        elif case == "unknown_option":
            answers[multiple["id"]] = [multiple["options"][0]["id"], "no-such-option"]
            key = multiple["id"]
        elif case == "missing_required":
            del answers[single["id"]]
            key = single["id"]
        elif case == "two_on_single":
            answers[single["id"]] = [single["options"][0]["id"], single["options"][1]["id"]]
            key = single["id"]
        else:
            answers[text["id"]] = "长" * 2001
            key = text["id"]
        with pytest.raises(tk.ValidationError) as error:
            call_action("tjportal_survey_answer", context=as_user(factories.User()), id=survey["id"], answers=answers)
        assert list(error.value.error_dict) == [key]
        assert model.Session.query(SurveyResponse).count() == 0

    def test_optional_questions_may_be_skipped(self, survey):
        _answer(factories.User(), survey, multiple=(), text=None)
        results = call_action("tjportal_survey_results", id=survey["id"])
        assert [question["answered"] for question in results["questions"]] == [1, 0, 0]

    @pytest.mark.parametrize("opens, closes, message", [
        (2, 9, "This survey opens on"),
        (-9, -2, "This survey closed on"),
    ])
    def test_answer_outside_dates_conflicts(self, sysadmin, opens, closes, message):
        survey = _create(sysadmin, opens=_when(opens), closes=_when(closes))
        with pytest.raises(tk.ValidationError) as error:
            _answer(factories.User(), survey)
        assert error.value.error_dict["state"][0].startswith(message)

    def test_close_early_stops_answers(self, sysadmin, survey):
        closed = call_action("tjportal_survey_close", context=as_user(sysadmin), id=survey["id"])
        assert closed["status"] == "closed"
        with pytest.raises(tk.ValidationError) as error:
            _answer(factories.User(), survey)
        assert "state" in error.value.error_dict
        with pytest.raises(tk.ValidationError):
            call_action("tjportal_survey_close", context=as_user(sysadmin), id=survey["id"])

    def test_update_replaces_questions_until_answered(self, sysadmin, survey):
        updated = call_action(
            "tjportal_survey_update", context=as_user(sysadmin), id=survey["id"], title="新标题",
            opens=_when(-1), closes=_when(3),
            questions=[{"kind": "text", "text": "唯一的问题", "required": True}],
        )
        assert updated["title"] == "新标题"
        assert [question["text"] for question in updated["questions"]] == ["唯一的问题"]
        call_action("tjportal_survey_answer", context=as_user(factories.User()), id=survey["id"],
                    answers={updated["questions"][0]["id"]: "好"})
        with pytest.raises(tk.ValidationError) as error:
            call_action("tjportal_survey_update", context=as_user(sysadmin), id=survey["id"], title="再改",
                        opens=_when(-1), closes=_when(3), questions=QUESTIONS)
        assert "state" in error.value.error_dict
        assert call_action("tjportal_survey_show", id=survey["id"])["title"] == "新标题"

    def test_delete_removes_answers(self, sysadmin, survey):
        _answer(factories.User(), survey)
        call_action("tjportal_survey_delete", context=as_user(sysadmin), id=survey["id"])
        with pytest.raises(tk.ObjectNotFound):
            call_action("tjportal_survey_show", id=survey["id"])
        assert model.Session.query(SurveyResponse).count() == 0
        assert model.Session.query(SurveyAnswer).count() == 0

    def test_results_count_and_percent(self, survey):
        _answer(factories.User(), survey, single=0, multiple=(0, 1), text="多一些公交数据")
        _answer(factories.User(), survey, single=0, multiple=(1,), text=None)
        _answer(factories.User(), survey, single=2, multiple=(), text="接口文档再详细点")
        _answer(factories.User(), survey, single=1, multiple=(1, 2), text=None)
        results = call_action("tjportal_survey_results", id=survey["id"])
        single, multiple, text = results["questions"]
        assert results["response_count"] == 4
        assert [(option["count"], option["percent"]) for option in single["options"]] == [(2, 50.0), (1, 25.0), (1, 25.0)]
        assert multiple["answered"] == 3
        assert [(option["count"], option["percent"]) for option in multiple["options"]] == [(1, 33.3), (3, 100.0), (1, 33.3)]
        assert text["texts"] == ["多一些公交数据", "接口文档再详细点"]

    def test_list_hides_upcoming_from_public(self, sysadmin, survey):
        upcoming = _create(sysadmin, title="下月的调查", opens=_when(30), closes=_when(40))
        closed = _create(sysadmin, title="去年的调查", opens=_when(-400), closes=_when(-300))
        public = call_action("tjportal_survey_list", context=as_user())
        assert {item["id"] for item in public["results"]} == {survey["id"], closed["id"]}
        assert call_action("tjportal_survey_list", context=as_user(), status="closed")["results"][0]["id"] == closed["id"]
        everything = call_action("tjportal_survey_list", context=as_user(sysadmin))
        assert upcoming["id"] in {item["id"] for item in everything["results"]}
        with pytest.raises(tk.NotAuthorized):
            call_action("tjportal_survey_list", context=as_user(factories.User()), status="upcoming")

    @pytest.mark.parametrize("action", ["tjportal_survey_results", "tjportal_survey_export",
                                        "tjportal_survey_close", "tjportal_survey_delete"])
    def test_normal_user_cannot_manage(self, survey, action):
        with pytest.raises(tk.NotAuthorized):
            call_action(action, context=as_user(factories.User()), id=survey["id"])

    def test_normal_user_cannot_create_or_update(self, survey):
        user = factories.User()
        with pytest.raises(tk.NotAuthorized):
            _create(user)
        with pytest.raises(tk.NotAuthorized):
            call_action("tjportal_survey_update", context=as_user(user), id=survey["id"], title="改",
                        opens=_when(-1), closes=_when(3), questions=QUESTIONS)

    def test_anonymous_cannot_answer(self, survey):
        with pytest.raises(tk.NotAuthorized):
            call_action("tjportal_survey_answer", context=as_user(), id=survey["id"], answers=_answers(survey))


def _form_data(survey, **choices):
    """Return the answer form's fields: one value per choice, a list for
    the checkboxes of a multiple-choice question."""
    return {"answer-" + question_id: value for question_id, value in _answers(survey, **choices).items()}


class TestSurveyPages:
    def test_public_list_marks_closed(self, app, sysadmin, survey):
        _create(sysadmin, title="已结束的调查", opens=_when(-30), closes=_when(-10))
        _create(sysadmin, title="还没开始的调查", opens=_when(10), closes=_when(20))
        page = BeautifulSoup(app.get(url("tjportal_survey.survey_list")).body, "html.parser")
        assert "平台满意度调查" in page.find(id="surveys-open").text
        closed = page.find(id="surveys-closed")
        assert "已结束的调查" in closed.text
        assert "Closed" in closed.find(class_="tjportal-survey-status").text
        assert "还没开始的调查" not in page.text

    def test_anonymous_sent_to_login(self, app, survey):
        for path in (url("tjportal_survey.read", id=survey["id"]), url("tjportal_survey.manage")):
            response = app.get(path, follow_redirects=False)
            assert response.status_code == 302
            assert "/user/login" in response.headers["Location"]
        posted = app.post(url("tjportal_survey.read", id=survey["id"]), data=_form_data(survey), follow_redirects=False)
        assert posted.status_code == 302
        assert model.Session.query(SurveyResponse).count() == 0

    def test_answer_form_then_answered(self, app, survey):
        user = factories.UserWithToken()
        path = url("tjportal_survey.read", id=survey["id"])
        form = BeautifulSoup(app.get(path, headers=headers(user)).body, "html.parser").find("form", id="tjportal-survey-answer")
        assert form.find("input", attrs={"name": "_csrf_token"}) is not None
        assert len(form.find_all("input", attrs={"type": "radio"})) == 3
        assert len(form.find_all("input", attrs={"type": "checkbox"})) == 3

        sent = app.post(path, data=_form_data(survey), headers=headers(user))
        assert "Thank you, your answers have been saved." in sent.body
        assert BeautifulSoup(sent.body, "html.parser").find(id="tjportal-survey-answered") is not None
        results = call_action("tjportal_survey_results", id=survey["id"])
        assert [option["count"] for option in results["questions"][1]["options"]] == [1, 0, 1]

        again = app.post(path, data=_form_data(survey, single=1), headers=headers(user))
        assert again.status_code == 409
        assert "You have already answered this survey." in again.body

    def test_api_second_answer_returns_409(self, app, survey):
        user = factories.UserWithToken()
        body = {"id": survey["id"], "answers": _answers(survey)}
        assert app.post("/api/3/action/tjportal_survey_answer", json=body, headers=headers(user)).status_code == 200
        second = app.post("/api/3/action/tjportal_survey_answer", json=body, headers=headers(user))
        assert second.status_code == 409
        # The Action API speaks the portal's default language, Chinese.
        assert second.json["error"]["state"] == ["您已经回答过该问卷。"]

    def test_missing_required_returns_400(self, app, survey):
        user = factories.UserWithToken()
        response = app.post(url("tjportal_survey.read", id=survey["id"]),
                            data=_form_data(survey, single=None, text="只写了建议"), headers=headers(user))
        assert response.status_code == 400
        assert "This question is required." in response.body
        # The text the user wrote is kept in the form.
        assert "只写了建议" in response.body
        assert model.Session.query(SurveyResponse).count() == 0

    def test_closed_survey_returns_409(self, app, sysadmin):
        survey = _create(sysadmin, opens=_when(-9), closes=_when(-2))
        response = app.post(url("tjportal_survey.read", id=survey["id"]), data=_form_data(survey),
                            headers=headers(factories.UserWithToken()))
        assert response.status_code == 409
        assert "This survey closed on" in response.body

    def test_unknown_survey_returns_404(self, app):
        response = app.get(url("tjportal_survey.read", id="no-such-survey"), headers=headers(factories.UserWithToken()))
        assert response.status_code == 404

    @pytest.mark.parametrize("endpoint", ["manage", "new", "edit", "results", "export"])
    def test_normal_user_forbidden(self, app, survey, endpoint):
        values = {} if endpoint in ("manage", "new") else {"id": survey["id"]}
        response = app.get(url("tjportal_survey." + endpoint, **values), headers=headers(factories.UserWithToken()))
        assert response.status_code == 403

    def test_normal_user_cannot_post_manage(self, app, survey):
        user = factories.UserWithToken()
        for endpoint in ("close", "delete"):
            response = app.post(url("tjportal_survey." + endpoint, id=survey["id"]), headers=headers(user))
            assert response.status_code == 403
        assert call_action("tjportal_survey_show", id=survey["id"])["status"] == "open"

    def test_manage_lists_answer_counts(self, app, sysadmin, survey):
        _answer(factories.User(), survey)
        _answer(factories.User(), survey)
        page = BeautifulSoup(app.get(url("tjportal_survey.manage"), headers=headers(sysadmin)).body, "html.parser")
        row = page.find("a", string="平台满意度调查").find_parent("tr")
        assert row.find(class_="tjportal-survey-count").text.strip() == "2"
        # A survey with answers can no longer be edited.
        assert row.find("a", href=tk.url_for("tjportal_survey.edit", id=survey["id"])) is None

    def test_sysadmin_creates_with_form(self, app, sysadmin):
        form_page = app.get(url("tjportal_survey.new"), headers=headers(sysadmin))
        form = BeautifulSoup(form_page.body, "html.parser").find("form", id="tjportal-survey-form")
        assert form.find("input", attrs={"name": "_csrf_token"}) is not None
        data = {
            "title": "开放数据需求调查", "description": "", "opens": "2026-01-01T08:00", "closes": "2099-01-01T08:00",
            # Block 0 is asked second because of its number; block 2 is left empty.
            "question-0-position": "2", "question-0-kind": "text", "question-0-text": "还需要什么数据？",
            "question-0-options": "",
            "question-1-position": "1", "question-1-kind": "multiple", "question-1-text": "您是？",
            "question-1-options": "企业\r\n个人\r\n\r\n科研机构", "question-1-required": "on",
            "question-2-position": "3", "question-2-kind": "single", "question-2-text": "", "question-2-options": "",
        }
        created = app.post(url("tjportal_survey.new"), data=data, headers=headers(sysadmin))
        assert "The survey has been saved." in created.body
        survey = call_action("tjportal_survey_list", context=as_user(sysadmin))["results"][0]
        shown = call_action("tjportal_survey_show", id=survey["id"])
        assert [question["text"] for question in shown["questions"]] == ["您是？", "还需要什么数据？"]
        assert [option["text"] for option in shown["questions"][0]["options"]] == ["企业", "个人", "科研机构"]
        assert shown["questions"][0]["required"] is True
        assert shown["opens_display"] == "2026-01-01 08:00"

    def test_form_errors_return_400_keep_input(self, app, sysadmin):
        data = {
            "title": "只有一个选项的调查", "opens": "2026-01-01T08:00", "closes": "2099-01-01T08:00",
            "question-0-position": "1", "question-0-kind": "single", "question-0-text": "是否满意？",
            "question-0-options": "满意",
        }
        response = app.post(url("tjportal_survey.new"), data=data, headers=headers(sysadmin))
        assert response.status_code == 400
        assert "Question 1: A choice question needs at least 2 options." in response.body
        assert "只有一个选项的调查" in response.body
        assert call_action("tjportal_survey_list", context=as_user(sysadmin))["count"] == 0

    def test_more_questions_adds_blocks(self, app, sysadmin):
        data = {"title": "草稿", "opens": "", "closes": "", "more": "1",
                "question-0-position": "1", "question-0-kind": "text", "question-0-text": "第一题", "question-0-options": ""}
        response = app.post(url("tjportal_survey.new"), data=data, headers=headers(sysadmin))
        page = BeautifulSoup(response.body, "html.parser")
        assert len(page.find_all("fieldset", class_="tjportal-survey-block")) == 1 + 3
        assert page.find("input", id="question-0-text")["value"] == "第一题"
        assert call_action("tjportal_survey_list", context=as_user(sysadmin))["count"] == 0

    def test_edit_form_until_answered(self, app, sysadmin, survey):
        path = url("tjportal_survey.edit", id=survey["id"])
        page = BeautifulSoup(app.get(path, headers=headers(sysadmin)).body, "html.parser")
        assert page.find("textarea", id="question-0-options").text == "每天\n每周\n每月"
        _answer(factories.User(), survey)
        assert app.get(path, headers=headers(sysadmin)).status_code == 409
        assert app.post(path, data={"title": "改"}, headers=headers(sysadmin)).status_code == 409

    def test_close_and_delete_pages(self, app, sysadmin, survey):
        closed = app.post(url("tjportal_survey.close", id=survey["id"]), headers=headers(sysadmin))
        assert "The survey is closed." in closed.body
        assert call_action("tjportal_survey_show", id=survey["id"])["status"] == "closed"
        again = app.post(url("tjportal_survey.close", id=survey["id"]), headers=headers(sysadmin))
        assert again.status_code == 409
        deleted = app.post(url("tjportal_survey.delete", id=survey["id"]), headers=headers(sysadmin))
        assert "The survey has been deleted." in deleted.body
        with pytest.raises(tk.ObjectNotFound):
            call_action("tjportal_survey_show", id=survey["id"])

    def test_results_page_bars(self, app, sysadmin, survey):
        _answer(factories.User(), survey, single=0)
        _answer(factories.User(), survey, single=0)
        _answer(factories.User(), survey, single=0)
        _answer(factories.User(), survey, single=2)
        page = BeautifulSoup(app.get(url("tjportal_survey.results", id=survey["id"]), headers=headers(sysadmin)).body,
                             "html.parser")
        first_question = page.find(id="result-" + survey["questions"][0]["id"])
        rows = first_question.find_all(class_="tjportal-survey-option")
        assert [row.find(class_="tjportal-survey-option-count").text for row in rows] == ["3", "0", "1"]
        assert [row.find(class_="tjportal-survey-option-percent").text for row in rows] == ["75.0%", "0.0%", "25.0%"]
        assert rows[0].find(class_="progress-bar")["style"] == "width: 75.0%"
        texts = page.find(id="result-" + survey["questions"][2]["id"]).find_all("li")
        assert [item.text for item in texts] == ["希望增加更多交通数据"] * 4

    def test_export_csv(self, app, sysadmin, survey):
        first = factories.User(name="zhang-san")
        second = factories.User(name="li-si")
        _answer(first, survey, single=1, multiple=(0, 2), text="多开放公交数据")
        _answer(second, survey, single=0, multiple=(), text="=HYPERLINK(\"x\")")
        response = app.get(url("tjportal_survey.export", id=survey["id"]), headers=headers(sysadmin))
        assert response.status_code == 200
        assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
        disposition = response.headers["Content-Disposition"]
        assert disposition.startswith('attachment; filename="survey-{}-answers.csv"'.format(survey["id"][:8]))
        assert "filename*=UTF-8''" in disposition

        raw = response.data
        assert raw.startswith(b"\xef\xbb\xbf")
        rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
        assert rows[0] == ["Submitted at", "User name", "1. 您多久使用一次本平台？", "2. 您关注哪些领域？", "3. 您对平台有什么建议？"]
        assert rows[1][1:] == ["zhang-san", "每周", "交通; 教育", "多开放公交数据"]
        # A text that a spreadsheet would run as a formula is kept as text.
        assert rows[2][1:] == ["li-si", "每天", "", "'=HYPERLINK(\"x\")"]
        assert len(rows) == 3
        datetime.datetime.strptime(rows[1][0], "%Y-%m-%d %H:%M")

    def test_script_escaped_everywhere(self, app, sysadmin):
        survey = _create(sysadmin, title=SCRIPT + "标题", description=SCRIPT + "说明", questions=[
            {"kind": "single", "text": SCRIPT + "单选", "required": True, "options": [SCRIPT + "甲", "乙"]},
            {"kind": "text", "text": SCRIPT + "文本"},
        ])
        single, text = survey["questions"]
        respondent = factories.UserWithToken()
        call_action("tjportal_survey_answer", context=as_user(respondent), id=survey["id"],
                    answers={single["id"]: single["options"][0]["id"], text["id"]: SCRIPT + "回答"})
        pages = [
            app.get(url("tjportal_survey.survey_list")),
            app.get(url("tjportal_survey.read", id=survey["id"]), headers=headers(respondent)),
            app.get(url("tjportal_survey.read", id=survey["id"]), headers=headers(sysadmin)),
            app.get(url("tjportal_survey.manage"), headers=headers(sysadmin)),
            app.get(url("tjportal_survey.results", id=survey["id"]), headers=headers(sysadmin)),
        ]
        for response in pages:
            assert SCRIPT not in response.body
            assert "&lt;script&gt;" in response.body
        results = pages[-1].body
        assert results.count("&lt;script&gt;") >= 4

    def test_centre_and_footer_link_surveys(self, app):
        page = app.get(url("tjportal_feedback.centre"), headers=headers(factories.UserWithToken()))
        soup = BeautifulSoup(page.body, "html.parser")
        list_path = tk.url_for("tjportal_survey.survey_list")
        assert soup.find(id="centre-surveys").find("a")["href"].endswith(list_path)
        footer_links = [link["href"] for link in soup.find("footer").find_all("a", href=True)]
        assert any(href.endswith(list_path) for href in footer_links)

    def test_chinese_pages_translated(self, app, sysadmin, survey):
        listing = app.get("/zh_Hans_CN" + tk.url_for("tjportal_survey.survey_list"))
        assert "进行中的问卷" in listing.body
        respondent = factories.UserWithToken()
        _answer(respondent, survey)
        page = app.get("/zh_Hans_CN" + tk.url_for("tjportal_survey.read", id=survey["id"]), headers=headers(respondent))
        assert "您已于" in page.body
        exported = app.get("/zh_Hans_CN" + tk.url_for("tjportal_survey.export", id=survey["id"]), headers=headers(sysadmin))
        header = next(csv.reader(io.StringIO(exported.data.decode("utf-8-sig"))))
        assert header[:2] == ["提交时间", "用户名"]


def test_migration_downgrade_and_upgrade(ckan_config, request):
    """Run the survey revision down and up again on the test database."""
    ini = request.config.getoption("--ckan-ini")
    ckan = str(Path(sys.executable).with_name("ckan"))
    model.Session.remove()
    model.meta.engine.dispose()

    def tables():
        with model.meta.engine.connect() as connection:
            return {name for name in model.meta.engine.dialect.get_table_names(connection)
                    if name.startswith("tjportal_feedback_survey")}

    down = subprocess.run([ckan, "-c", ini, "db", "downgrade", "-p", "tjportal_feedback", "-v", "e2c6d8b1f404"],
                          capture_output=True, text=True, timeout=120)
    assert down.returncode == 0, down.stderr
    assert tables() == set()
    up = subprocess.run([ckan, "-c", ini, "db", "upgrade", "-p", "tjportal_feedback"],
                        capture_output=True, text=True, timeout=120)
    assert up.returncode == 0, up.stderr
    assert tables() == {
        "tjportal_feedback_survey", "tjportal_feedback_survey_question", "tjportal_feedback_survey_option",
        "tjportal_feedback_survey_response", "tjportal_feedback_survey_answer",
    }
