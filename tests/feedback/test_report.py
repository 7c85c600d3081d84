"""Tests of error reports (纠错): the workflow through the actions and the
pages, due dates, e-mails to the reporter, permissions and bad input."""
from __future__ import annotations

import datetime

import pytest
from bs4 import BeautifulSoup
from freezegun import freeze_time

import ckan.plugins.toolkit as tk
from ckan.tests import factories
from ckan.tests.helpers import call_action

from ckanext.tjportal.feedback import duedate

from .helpers import PLUGINS, SCRIPT, as_user, headers, url

pytestmark = [
    pytest.mark.ckan_config("ckan.plugins", PLUGINS),
    pytest.mark.usefixtures("with_plugins", "clean_db"),
]


def _report(user, package, **fields):
    data = {"package_id": package["id"], "kind": "data", "description": "第3行的站点坐标错误"}
    data.update(fields)
    return call_action("tjportal_report_create", context=as_user(user), **data)


def _step(user, step, report_id, **fields):
    return call_action("tjportal_report_" + step, context=as_user(user), id=report_id, **fields)


class TestDueDate:
    @pytest.mark.parametrize("start, days, due", [
        ("2026-12-07", 2, "2026-12-09"),  # Monday -> Wednesday
        ("2026-12-03", 2, "2026-12-07"),  # Thursday -> Monday
        ("2026-12-04", 2, "2026-12-08"),  # Friday -> Tuesday
        ("2026-12-05", 2, "2026-12-08"),  # Saturday -> Tuesday
        ("2026-12-06", 1, "2026-12-07"),  # Sunday -> Monday
        ("2026-12-04", 5, "2026-12-11"),  # Friday -> next Friday
    ])
    def test_working_days_skip_weekends(self, start, days, due):
        result = duedate.add_working_days(datetime.date.fromisoformat(start), days)
        assert result.isoformat() == due

    @freeze_time("2026-12-04 09:00:00+08:00")
    def test_report_due_after_weekend(self, catalogue):
        report = _report(factories.User(), catalogue["dataset"])
        assert report["due_date"] == "2026-12-08"
        assert report["overdue"] is False

    @pytest.mark.ckan_config("ckanext.tjportal.feedback.response_working_days", 4)
    @freeze_time("2026-12-04 09:00:00+08:00")
    def test_configured_working_days(self, catalogue):
        assert _report(factories.User(), catalogue["dataset"])["due_date"] == "2026-12-10"

    def test_overdue_flagged_until_answered(self, catalogue):
        with freeze_time("2026-12-04 09:00:00+08:00"):
            late = _report(factories.User(), catalogue["dataset"])
            answered = _report(factories.User(), catalogue["service"])
        with freeze_time("2026-12-08 20:00:00+08:00"):
            assert call_action("tjportal_report_show", id=late["id"])["overdue"] is False
        with freeze_time("2026-12-09 09:00:00+08:00"):
            _step(catalogue["editor"], "accept", answered["id"])
            inbox = call_action("tjportal_report_list", context=as_user(catalogue["editor"]),
                                organization=catalogue["department"]["name"])
            flags = {report["id"]: report["overdue"] for report in inbox["results"]}
            assert flags == {late["id"]: True, answered["id"]: False}
            overview = call_action("tjportal_report_list", context=as_user(catalogue["sysadmin"]),
                                   all=True, overdue=True)
            assert [report["id"] for report in overview["results"]] == [late["id"]]


class TestWorkflow:
    def test_accept_then_resolve_mails_reporter(self, catalogue, smtp):
        reporter = factories.User(email="reporter@example.com")
        report = _report(reporter, catalogue["dataset"], kind="link", contact="13800000000")
        assert report["state"] == "submitted"

        accepted = _step(catalogue["editor"], "accept", report["id"])
        assert accepted["state"] == "accepted"
        resolved = _step(catalogue["admin"], "resolve", report["id"], reply="已更正坐标")
        assert resolved["state"] == "resolved"
        assert resolved["reply"] == "已更正坐标"

        assert len(smtp) == 2
        assert smtp[0]["To"].addresses[0].addr_spec == "reporter@example.com"
        assert "Accepted" in smtp[0]["Subject"]
        body = smtp[1].get_body().get_content()
        assert "Resolved" in body
        assert "已更正坐标" in body

    def test_reject_needs_reason(self, catalogue, smtp):
        report = _report(factories.User(), catalogue["dataset"])
        with pytest.raises(tk.ValidationError) as error:
            _step(catalogue["editor"], "reject", report["id"], reason="  ")
        assert "reason" in error.value.error_dict
        rejected = _step(catalogue["editor"], "reject", report["id"], reason="数据无误")
        assert rejected["reason"] == "数据无误"
        assert "数据无误" in smtp[0].get_body().get_content()

    def test_resolve_needs_reply(self, catalogue):
        report = _report(factories.User(), catalogue["dataset"])
        _step(catalogue["editor"], "accept", report["id"])
        with pytest.raises(tk.ValidationError) as error:
            _step(catalogue["editor"], "resolve", report["id"])
        assert "reply" in error.value.error_dict

    @pytest.mark.parametrize("done, step", [
        ([], "resolve"),
        (["accept"], "accept"),
        (["accept"], "reject"),
        (["reject"], "accept"),
        (["reject"], "resolve"),
    ])
    def test_skipped_step_conflicts(self, catalogue, done, step):
        report = _report(factories.User(), catalogue["dataset"])
        for previous in done:
            _step(catalogue["editor"], previous, report["id"], reason="理由", reply="答复")
        with pytest.raises(tk.ValidationError) as error:
            _step(catalogue["editor"], step, report["id"], reason="理由", reply="答复")
        assert "state" in error.value.error_dict

    def test_skipped_step_api_answers_409(self, app, catalogue):
        report = _report(factories.User(), catalogue["dataset"])
        response = app.post("/api/3/action/tjportal_report_resolve", json={"id": report["id"], "reply": "好"},
                            headers=headers(catalogue["editor"]))
        assert response.status_code == 409
        # The Action API answers in the default locale, zh_Hans_CN.
        assert "只有状态为“已受理”的纠错才能变为“已解决”" in response.json["error"]["state"][0]

    def test_report_on_resource(self, catalogue):
        resource = factories.Resource(package_id=catalogue["dataset"]["id"], name="站点表")
        report = _report(factories.User(), catalogue["dataset"], resource_id=resource["id"])
        assert report["resource_name"] == "站点表"

    def test_reports_kept_after_dataset_deleted(self, catalogue):
        reporter = factories.User()
        report = _report(reporter, catalogue["dataset"])
        call_action("package_delete", id=catalogue["dataset"]["id"])
        mine = call_action("tjportal_report_list", context=as_user(reporter))
        assert [item["id"] for item in mine["results"]] == [report["id"]]
        assert mine["results"][0]["package_title"] == "公交站点"


class TestBadInput:
    @pytest.mark.parametrize("fields, key", [
        ({"description": ""}, "description"),
        ({"description": "   "}, "description"),
        ({"description": "长" * 2001}, "description"),
        ({"kind": "spam"}, "kind"),
        ({"contact": "1" * 201}, "contact"),
    ])
    def test_invalid_fields_rejected(self, catalogue, fields, key):
        with pytest.raises(tk.ValidationError) as error:
            _report(factories.User(), catalogue["dataset"], **fields)
        assert key in error.value.error_dict

    def test_unknown_dataset_not_found(self, catalogue):
        with pytest.raises(tk.ObjectNotFound):
            _report(factories.User(), {"id": "no-such-dataset"})

    def test_resource_of_other_dataset_not_found(self, catalogue):
        resource = factories.Resource(package_id=catalogue["service"]["id"])
        with pytest.raises(tk.ObjectNotFound):
            _report(factories.User(), catalogue["dataset"], resource_id=resource["id"])


class TestPermissions:
    def test_anonymous_cannot_report(self, catalogue):
        with pytest.raises(tk.NotAuthorized):
            _report(None, catalogue["dataset"])

    def test_private_dataset_outsider_cannot_report(self, catalogue):
        with pytest.raises(tk.NotAuthorized):
            _report(catalogue["other_editor"], catalogue["private"])

    @pytest.mark.parametrize("role", ["member", "other_editor"])
    def test_outsiders_cannot_handle(self, catalogue, role):
        report = _report(factories.User(), catalogue["dataset"])
        with pytest.raises(tk.NotAuthorized):
            _step(catalogue[role], "accept", report["id"])

    def test_sysadmin_can_handle(self, catalogue):
        report = _report(factories.User(), catalogue["dataset"])
        assert _step(catalogue["sysadmin"], "accept", report["id"])["state"] == "accepted"

    def test_other_user_cannot_see_report(self, catalogue):
        report = _report(factories.User(), catalogue["dataset"])
        with pytest.raises(tk.NotAuthorized):
            call_action("tjportal_report_show", context=as_user(factories.User()), id=report["id"])

    def test_other_department_cannot_list_inbox(self, catalogue):
        with pytest.raises(tk.NotAuthorized):
            call_action("tjportal_report_list", context=as_user(catalogue["other_editor"]),
                        organization=catalogue["department"]["id"])

    def test_only_sysadmins_see_overview(self, catalogue):
        with pytest.raises(tk.NotAuthorized):
            call_action("tjportal_report_list", context=as_user(catalogue["admin"]), all=True)


class TestPages:
    def test_report_form_to_inbox_to_mine(self, app, catalogue, smtp):
        reporter = factories.UserWithToken()
        form_page = app.get(url("tjportal_feedback.report_new", package_id=catalogue["dataset"]["name"]),
                            headers=headers(reporter))
        form = BeautifulSoup(form_page.body, "html.parser").find("form", id="tjportal-report-form")
        assert form.find("input", attrs={"name": "_csrf_token"}) is not None

        sent = app.post(url("tjportal_feedback.report_new", package_id=catalogue["dataset"]["name"]),
                        data={"kind": "metadata", "description": "更新频率写错了"}, headers=headers(reporter))
        assert "Thank you, your error report has been sent" in sent.body
        assert "更新频率写错了" in sent.body

        inbox = app.get(url("tjportal_feedback.report_inbox", organization=catalogue["department"]["name"]),
                        headers=headers(catalogue["editor"]))
        assert "更新频率写错了" in inbox.body
        report_id = call_action("tjportal_report_list", context=as_user(reporter))["results"][0]["id"]

        accepted = app.post(url("tjportal_feedback.report_step", id=report_id, step="accept"),
                            headers=headers(catalogue["editor"]))
        assert "The error report is now Accepted." in accepted.body
        app.post(url("tjportal_feedback.report_step", id=report_id, step="resolve"),
                 data={"reply": "已修改为每日"}, headers=headers(catalogue["editor"]))

        mine = app.get(url("tjportal_feedback.report_mine"), headers=headers(reporter))
        state = BeautifulSoup(mine.body, "html.parser").find(class_="tjportal-report-state")
        assert state.text.strip() == "Resolved"
        assert "已修改为每日" in mine.body
        assert len(smtp) == 2

    def test_empty_description_answers_400(self, app, catalogue):
        response = app.post(url("tjportal_feedback.report_new", package_id=catalogue["dataset"]["name"]),
                            data={"kind": "data", "description": ""}, headers=headers(factories.UserWithToken()))
        assert response.status_code == 400
        assert "Missing value" in response.body

    def test_empty_description_names_the_field(self, app, catalogue):
        response = app.post(tk.url_for("tjportal_feedback.report_new", package_id=catalogue["dataset"]["name"]),
                            data={"kind": "data", "description": "  "}, headers=headers(factories.UserWithToken()))
        errors = BeautifulSoup(response.body, "html.parser").find(id="tjportal-report-errors").text
        assert "说明" in errors
        assert "description" not in errors

    def test_blank_reply_back_to_inbox(self, app, catalogue):
        report = _report(factories.User(), catalogue["dataset"])
        _step(catalogue["editor"], "accept", report["id"])
        response = app.post(tk.url_for("tjportal_feedback.report_step", id=report["id"], step="resolve"),
                            data={"reply": "   "}, headers=headers(catalogue["editor"]))

        assert response.status_code == 400
        page = BeautifulSoup(response.body, "html.parser")
        assert "答复" in page.find(class_="tjportal-report-step-error").text
        assert page.find("textarea", id="reply-" + report["id"]) is not None
        assert call_action("tjportal_report_show", id=report["id"])["state"] == "accepted"

    def test_step_returns_to_named_inbox(self, app, catalogue):
        report = _report(factories.User(), catalogue["dataset"])
        response = app.post(url("tjportal_feedback.report_step", id=report["id"], step="accept"),
                            headers=headers(catalogue["editor"]), follow_redirects=False)
        assert response.status_code == 302
        assert response.headers["Location"].endswith(
            "/reports/department/" + catalogue["department"]["name"])

    def test_skipped_step_page_answers_409(self, app, catalogue):
        report = _report(factories.User(), catalogue["dataset"])
        response = app.post(url("tjportal_feedback.report_step", id=report["id"], step="resolve"),
                            data={"reply": "好"}, headers=headers(catalogue["editor"]))
        assert response.status_code == 409

    def test_other_department_inbox_forbidden(self, app, catalogue):
        response = app.get(url("tjportal_feedback.report_inbox", organization=catalogue["department"]["name"]),
                           headers=headers(catalogue["other_editor"]))
        assert response.status_code == 403

    def test_anonymous_sent_to_login(self, app, catalogue):
        for path in (url("tjportal_feedback.report_new", package_id=catalogue["dataset"]["name"]),
                     url("tjportal_feedback.report_mine"), url("tjportal_feedback.report_overview")):
            response = app.get(path, follow_redirects=False)
            assert response.status_code == 302
            assert "/user/login" in response.headers["Location"]

    def test_overview_for_sysadmins_only(self, app, catalogue):
        _report(factories.User(), catalogue["dataset"], description="总览中的报告")
        assert app.get(url("tjportal_feedback.report_overview"), headers=headers(catalogue["admin"])).status_code == 403
        overview = app.get(url("tjportal_feedback.report_overview"), headers=headers(catalogue["sysadmin"]))
        assert "总览中的报告" in overview.body

    def test_script_escaped_everywhere(self, app, catalogue, smtp):
        reporter = factories.UserWithToken(fullname=SCRIPT + "报告人")
        report = _report(reporter, catalogue["dataset"], description=SCRIPT + "描述", contact=SCRIPT + "联系")
        _step(catalogue["editor"], "reject", report["id"], reason=SCRIPT + "理由")
        pages = [
            app.get(url("tjportal_feedback.report_mine"), headers=headers(reporter)),
            app.get(url("tjportal_feedback.report_inbox", organization=catalogue["department"]["name"]),
                    headers=headers(catalogue["editor"])),
            app.get(url("tjportal_feedback.report_overview"), headers=headers(catalogue["sysadmin"])),
        ]
        for response in pages:
            assert SCRIPT not in response.body
            assert "&lt;script&gt;" in response.body
        # The mail is plain text, so the payload arrives as inert text.
        assert smtp[0].get_content_type() == "text/plain"


class TestResourcePages:
    def test_resource_link_to_inbox(self, app, catalogue):
        dataset = catalogue["dataset"]
        factories.Resource(package_id=dataset["id"], name="线路表")
        resource = factories.Resource(package_id=dataset["id"], name="站点表")
        reporter = factories.UserWithToken()

        resource_page = app.get(url("dataset_resource.read", id=dataset["name"], resource_id=resource["id"]),
                                headers=headers(reporter))
        link = BeautifulSoup(resource_page.body, "html.parser").find(id="tjportal-resource-report")
        form_page = app.get(link["href"], headers=headers(reporter))
        form = BeautifulSoup(form_page.body, "html.parser").find("form", id="tjportal-report-form")
        selected = form.find("select", attrs={"name": "resource_id"}).find("option", selected=True)
        assert selected["value"] == resource["id"]
        assert selected.text.strip() == "站点表"

        app.post(form["action"], headers=headers(reporter),
                 data={"resource_id": selected["value"], "kind": "data", "description": "第5行坐标缺失"})
        stored = call_action("tjportal_report_list", context=as_user(reporter))["results"]
        assert [report["resource_id"] for report in stored] == [resource["id"]]

        inbox = app.get(url("tjportal_feedback.report_inbox", organization=catalogue["department"]["name"]),
                        headers=headers(catalogue["editor"]))
        heading = BeautifulSoup(inbox.body, "html.parser").find(id="report-" + stored[0]["id"]).find("h3")
        assert "站点表" in heading.text
        assert "线路表" not in heading.text

    def test_unknown_resource_keeps_form(self, app, catalogue):
        reporter = factories.UserWithToken()
        response = app.post(url("tjportal_feedback.report_new", package_id=catalogue["dataset"]["name"]),
                            headers=headers(reporter),
                            data={"resource_id": "no-such-resource", "kind": "data", "description": "保留的描述"})
        assert response.status_code == 400
        assert "Resource not found: no-such-resource" in response.body
        assert "保留的描述" in response.body
        assert call_action("tjportal_report_list", context=as_user(reporter))["count"] == 0

    def test_resource_of_private_dataset_hidden(self, app, catalogue):
        resource = factories.Resource(package_id=catalogue["private"]["id"], name="名单")
        response = app.get(url("tjportal_feedback.report_new", package_id=catalogue["private"]["name"],
                               resource_id=resource["id"]), headers=headers(factories.UserWithToken()))
        assert response.status_code == 403
        assert "名单" not in response.body


@pytest.mark.ckan_config("ckanext.tjportal.feedback.max_per_hour", 1)
class TestReportRateLimit:
    def test_second_report_answers_429(self, app, catalogue):
        user = factories.UserWithToken()
        data = {"package_id": catalogue["dataset"]["id"], "kind": "other", "description": "第一条"}
        assert app.post("/api/3/action/tjportal_report_create", json=data, headers=headers(user)).status_code == 200
        refused = app.post("/api/3/action/tjportal_report_create", json=data, headers=headers(user))
        assert refused.status_code == 429
        page = app.post(url("tjportal_feedback.report_new", package_id=catalogue["dataset"]["id"]),
                        data={"kind": "other", "description": "第二条"}, headers=headers(user))
        assert page.status_code == 429


class TestDepartmentTab:
    def test_tab_shown_to_staff_only(self, app, catalogue):
        path = url("organization.read", id=catalogue["department"]["name"])
        staff_page = app.get(path, headers=headers(catalogue["editor"]))
        assert "Error reports" in staff_page.body
        outsider_page = app.get(path, headers=headers(catalogue["other_editor"]))
        assert "Error reports" not in outsider_page.body
