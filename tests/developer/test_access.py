"""Tests of conditional open data (有条件开放): access applications, their
review by the department, e-mails, and the access checks on API calls and
downloads."""
from __future__ import annotations

import datetime
import json

import pytest
from bs4 import BeautifulSoup
from freezegun import freeze_time

import ckan.plugins.toolkit as tk
from ckan.tests import factories
from ckan.tests.helpers import call_action, call_auth

from ckanext.tjportal import workdays
from ckanext.tjportal.developer import access

from .helpers import PLUGINS, registration
from .smtp import SMTPServer

pytestmark = [
    pytest.mark.ckan_config("ckan.plugins", PLUGINS),
    pytest.mark.usefixtures("with_plugins", "clean_db", "clean_redis"),
]

SCRIPT_REASON = "<script>alert('x')</script>用途不明"


def _sysadmin() -> str:
    return factories.Sysadmin()["name"]


def _url(endpoint, **values):
    return "/en" + tk.url_for(endpoint, **values)


@pytest.fixture
def mail_server(ckan_config, monkeypatch):
    server = SMTPServer()
    monkeypatch.setitem(ckan_config, "smtp.server", server.address)
    yield server
    server.close()


@pytest.fixture
def conditional(catalogue):
    """Make the data service conditionally open and give it a second table;
    also make the plain dataset conditionally open."""
    for name in ("service", "dataset"):
        call_action("package_patch", context={"user": _sysadmin()}, id=catalogue[name]["id"],
                    open_condition="conditional", open_conditions="仅向科研机构开放")
    second = factories.Resource(package_id=catalogue["service"]["id"], name="公交站点", url_type="datastore")
    call_action("datastore_create", context={"user": _sysadmin()}, resource_id=second["id"], force=True,
                fields=[{"id": "stop", "type": "text"}], records=[{"stop": "天津站"}])
    catalogue["second_resource"] = second
    return catalogue


@pytest.fixture
def applicant():
    """An approved developer whose user has a CKAN token for the pages."""
    user = factories.UserWithToken(email="applicant@example.com")
    result = call_action("tjportal_developer_register", context={"user": user["name"]}, **registration())
    return {"user": user, "headers": {"Authorization": user["token"]}, "token": result["token"]}


def _application(**fields):
    today = access.today()
    data = {
        "purpose": "研究公交线网密度",
        "intended_use": "论文数据分析",
        "start_date": today.isoformat(),
        "end_date": (today + datetime.timedelta(days=29)).isoformat(),
    }
    data.update(fields)
    return data


def _apply(catalogue, applicant, resources=("resource",), **fields):
    return call_action(
        "tjportal_access_application_create", context={"user": applicant["user"]["name"]},
        package_id=catalogue["service"]["id"], resource_ids=[catalogue[name]["id"] for name in resources],
        **_application(**fields))


def _search(app, resource_id, token=None, status=200):
    headers = {"Authorization": token} if token else {}
    return app.get("/en/api/3/action/datastore_search", query_string={"resource_id": resource_id},
                   headers=headers, status=status)


class TestAccessCheck:
    def test_api_refused_without_application(self, app, conditional, applicant):
        response = _search(app, conditional["resource"]["id"], token=applicant["token"], status=403)
        message = json.loads(response.body)["error"]["message"]
        assert "Apply for access" in message
        assert "/developer/access/apply/bus-lines" in message

    def test_refused_call_not_counted(self, app, conditional, applicant):
        _search(app, conditional["resource"]["id"], token=applicant["token"], status=403)
        usage = call_action("tjportal_developer_usage_list", context={"user": applicant["user"]["name"]})
        assert usage["calls_today"] == 0

    def test_department_editor_exempt(self, app, conditional):
        _search(app, conditional["resource"]["id"], token=conditional["editor"]["token"])

    def test_preview_still_shown(self, app, conditional):
        response = app.get("/en/dataservice/bus-lines")
        assert "Data preview" in response.body
        assert "1路" in response.body

    def test_dataset_dump_refused_then_allowed(self, app, conditional, applicant):
        resource_id = conditional["dataset_resource"]["id"]
        app.get("/datastore/dump/" + resource_id, status=403)
        app.get("/datastore/dump/" + resource_id, headers=applicant["headers"], status=403)
        call_action(
            "tjportal_access_application_create", context={"user": applicant["user"]["name"]},
            package_id=conditional["dataset"]["id"], resource_ids=[resource_id], **_application())
        application = call_action("tjportal_access_application_list", context={"user": applicant["user"]["name"]})
        call_action("tjportal_access_application_approve", context={"user": conditional["editor"]["name"]},
                    id=application["results"][0]["id"])
        response = app.get("/datastore/dump/" + resource_id, headers=applicant["headers"], status=200)
        assert "1路" in response.body

    def test_api_page_links_application(self, app, conditional):
        response = app.get(_url("tjportal_developer_api.api_page", id="bus-lines"))
        notice = BeautifulSoup(response.body, "html.parser").find(id="tjportal-api-conditional")
        assert "/developer/access/apply/bus-lines" in str(notice)

    def test_dataset_page_links_application(self, app, conditional):
        response = app.get("/en/dataset/bus-stops-file")
        notice = BeautifulSoup(response.body, "html.parser").find(id="tjportal-access-notice")
        assert "/developer/access/apply/bus-stops-file" in str(notice)

    def test_unconditional_page_has_no_notice(self, app, catalogue):
        response = app.get("/en/dataset/bus-stops-file")
        assert BeautifulSoup(response.body, "html.parser").find(id="tjportal-access-notice") is None

    def test_can_download(self, conditional, applicant):
        resource = conditional["dataset_resource"]
        assert access.can_download(None, resource) is False
        assert access.can_download(applicant["user"]["name"], resource) is False
        assert access.can_download(conditional["editor"]["name"], resource) is True
        assert access.can_download(_sysadmin(), resource["id"]) is True

    def test_unconditional_always_downloadable(self, catalogue):
        assert access.can_download(None, catalogue["dataset_resource"]) is True


class TestApplicationFlow:
    def test_apply_approve_use_expire(self, app, conditional, applicant, mail_server):
        service = conditional["service"]
        form_page = app.get(_url("tjportal_developer_access.apply", id=service["name"]), headers=applicant["headers"])
        form = BeautifulSoup(form_page.body, "html.parser").find("form", id="tjportal-access-apply")
        assert form.find("input", attrs={"name": "_csrf_token"}) is not None

        today = access.today()
        end = today + datetime.timedelta(days=9)
        response = app.post(
            _url("tjportal_developer_access.apply", id=service["name"]), headers=applicant["headers"],
            data={**_application(end_date=end.isoformat()), "resource_ids": [conditional["resource"]["id"]]},
            follow_redirects=False)
        assert response.status_code == 302

        mine = app.get(_url("tjportal_developer.mine"), headers=applicant["headers"])
        section = BeautifulSoup(mine.body, "html.parser").find(id="tjportal-access-applications")
        assert "Pending review" in section.get_text()

        inbox = app.get(_url("tjportal_developer_access.inbox", org="tj-transport"),
                        headers={"Authorization": conditional["editor"]["token"]})
        assert "研究公交线网密度" in inbox.body
        application_id = call_action("tjportal_access_application_list",
                                     context={"user": applicant["user"]["name"]})["results"][0]["id"]
        app.post(_url("tjportal_developer_access.review", id=application_id, decision="approve"),
                 headers={"Authorization": conditional["editor"]["token"]})

        _search(app, conditional["resource"]["id"], token=applicant["token"])
        _search(app, conditional["second_resource"]["id"], token=applicant["token"], status=403)

        mine = app.get(_url("tjportal_developer.mine"), headers=applicant["headers"])
        assert "Approved" in BeautifulSoup(mine.body, "html.parser").find(id="tjportal-access-applications").get_text()

        assert len(mail_server.messages) == 1
        recipients, message = mail_server.messages[0]
        assert recipients == ["applicant@example.com"]
        assert "approved" in message["Subject"]
        body = message.get_body(preferencelist=("plain",)).get_content()
        assert "公交线路" in body
        assert end.isoformat() in body

        with freeze_time(datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time(12))):
            _search(app, conditional["resource"]["id"], token=applicant["token"], status=403)

    def test_reject_needs_reason(self, app, conditional, applicant, mail_server):
        application = _apply(conditional, applicant)
        with pytest.raises(tk.ValidationError):
            call_action("tjportal_access_application_reject", context={"user": conditional["editor"]["name"]},
                        id=application["id"], reason="  ")
        result = call_action("tjportal_access_application_reject", context={"user": conditional["editor"]["name"]},
                             id=application["id"], reason=SCRIPT_REASON)
        assert result["state"] == "rejected"
        assert result["reject_reason"] == SCRIPT_REASON

        _, message = mail_server.messages[0]
        assert "rejected" in message["Subject"]
        assert SCRIPT_REASON in message.get_body(preferencelist=("plain",)).get_content()
        html = message.get_body(preferencelist=("html",)).get_content()
        assert SCRIPT_REASON not in html
        assert "&lt;script&gt;" in html
        _search(app, conditional["resource"]["id"], token=applicant["token"], status=403)

    def test_rejected_reason_escaped_on_page(self, app, conditional, applicant):
        application = _apply(conditional, applicant)
        call_action("tjportal_access_application_reject", context={"user": conditional["editor"]["name"]},
                    id=application["id"], reason=SCRIPT_REASON)
        mine = app.get(_url("tjportal_developer.mine"), headers=applicant["headers"])
        assert SCRIPT_REASON not in mine.body
        assert SCRIPT_REASON in BeautifulSoup(mine.body, "html.parser").find(class_="reject-reason").get_text()

    def test_decided_application_not_reviewed_again(self, conditional, applicant):
        application = _apply(conditional, applicant)
        call_action("tjportal_access_application_approve", context={"user": conditional["editor"]["name"]},
                    id=application["id"])
        with pytest.raises(tk.ValidationError):
            call_action("tjportal_access_application_reject", context={"user": conditional["editor"]["name"]},
                        id=application["id"], reason="改变主意")


class TestDueDate:
    @freeze_time("2026-12-04 10:00:00")  # a Friday in Asia/Shanghai
    def test_due_date_skips_weekend(self, conditional, applicant):
        assert _apply(conditional, applicant)["due_date"] == "2026-12-08"

    @freeze_time("2026-12-01 10:00:00")  # a Tuesday
    def test_due_date_on_weekdays(self, conditional, applicant):
        assert _apply(conditional, applicant)["due_date"] == "2026-12-03"

    def test_add_working_days(self):
        saturday = datetime.date(2026, 12, 5)
        assert workdays.add_working_days(saturday, 1) == datetime.date(2026, 12, 7)
        assert workdays.add_working_days(saturday, 2) == datetime.date(2026, 12, 8)

    def test_overdue_flag_on_overview(self, app, conditional, applicant):
        with freeze_time("2026-12-04 10:00:00"):
            application = _apply(conditional, applicant, end_date="2026-12-31")
        with freeze_time("2026-12-08 10:00:00"):
            shown = call_action("tjportal_access_application_show", context={"user": _sysadmin()},
                                id=application["id"])
            assert shown["overdue"] is False
        with freeze_time("2026-12-09 10:00:00"):
            shown = call_action("tjportal_access_application_show", context={"user": _sysadmin()},
                                id=application["id"])
            assert shown["overdue"] is True
            sysadmin = factories.SysadminWithToken()
            overview = app.get(_url("tjportal_developer_access.overview", overdue="true"),
                               headers={"Authorization": sysadmin["token"]})
            row = BeautifulSoup(overview.body, "html.parser").find(id="application-" + application["id"])
            assert row.find(class_="tjportal-overdue") is not None


class TestPermissions:
    def test_anonymous_cannot_apply(self, conditional):
        with pytest.raises(tk.NotAuthorized):
            call_auth("tjportal_access_application_create", context={"user": ""})

    def test_non_developer_cannot_apply(self, conditional):
        user = factories.User()
        with pytest.raises(tk.NotAuthorized):
            call_auth("tjportal_access_application_create", context={"user": user["name"]})

    def test_other_user_cannot_see(self, conditional, applicant):
        application = _apply(conditional, applicant)
        other = factories.User()
        with pytest.raises(tk.NotAuthorized):
            call_auth("tjportal_access_application_show", context={"user": other["name"]}, id=application["id"])
        assert call_auth("tjportal_access_application_show", context={"user": conditional["editor"]["name"]},
                         id=application["id"])

    def test_other_department_cannot_review(self, app, conditional, applicant):
        application = _apply(conditional, applicant)
        other_editor = factories.UserWithToken()
        factories.Organization(users=[{"name": other_editor["name"], "capacity": "editor"}])
        with pytest.raises(tk.NotAuthorized):
            call_auth("tjportal_access_application_approve", context={"user": other_editor["name"]},
                      id=application["id"])
        app.post(_url("tjportal_developer_access.review", id=application["id"], decision="approve"),
                 headers={"Authorization": other_editor["token"]}, status=403)
        app.get(_url("tjportal_developer_access.inbox", org="tj-transport"),
                headers={"Authorization": other_editor["token"]}, status=403)

    def test_member_cannot_review(self, conditional, applicant):
        application = _apply(conditional, applicant)
        with pytest.raises(tk.NotAuthorized):
            call_auth("tjportal_access_application_approve", context={"user": conditional["member"]["name"]},
                      id=application["id"])

    def test_applicant_cannot_approve_own(self, conditional, applicant):
        application = _apply(conditional, applicant)
        with pytest.raises(tk.NotAuthorized):
            call_action("tjportal_access_application_approve",
                        context={"user": applicant["user"]["name"], "ignore_auth": False}, id=application["id"])

    def test_sysadmin_may_review_and_list_all(self, conditional, applicant):
        application = _apply(conditional, applicant)
        result = call_action("tjportal_access_application_approve", context={"user": _sysadmin()},
                             id=application["id"])
        assert result["state"] == "approved"
        listed = call_action("tjportal_access_application_list", context={"user": _sysadmin()}, scope="all")
        assert listed["count"] == 1

    def test_only_sysadmins_list_all(self, conditional):
        with pytest.raises(tk.NotAuthorized):
            call_auth("tjportal_access_application_list", context={"user": conditional["editor"]["name"]},
                      scope="all")

    def test_anonymous_inbox_refused(self, app, conditional):
        app.get(_url("tjportal_developer_access.overview"), status=403)


class TestBadInput:
    def test_period_too_long(self, conditional, applicant):
        today = access.today()
        with pytest.raises(tk.ValidationError) as error:
            _apply(conditional, applicant, end_date=(today + datetime.timedelta(days=365)).isoformat())
        assert "at most 365 days" in str(error.value.error_dict["end_date"])

    @pytest.mark.ckan_config("ckanext.tjportal.access.max_days", "10")
    def test_max_days_configurable(self, conditional, applicant):
        today = access.today()
        _apply(conditional, applicant, end_date=(today + datetime.timedelta(days=9)).isoformat())
        with pytest.raises(tk.ValidationError):
            _apply(conditional, applicant, resources=("second_resource",),
                   end_date=(today + datetime.timedelta(days=10)).isoformat())

    def test_end_before_start(self, conditional, applicant):
        today = access.today()
        with pytest.raises(tk.ValidationError) as error:
            _apply(conditional, applicant, start_date=(today + datetime.timedelta(days=5)).isoformat(),
                   end_date=today.isoformat())
        assert "before the start date" in str(error.value.error_dict["end_date"])

    def test_unknown_resource(self, conditional, applicant):
        with pytest.raises(tk.ValidationError) as error:
            call_action("tjportal_access_application_create", context={"user": applicant["user"]["name"]},
                        package_id=conditional["service"]["id"], resource_ids=["no-such-resource"],
                        **_application())
        assert "no-such-resource" in str(error.value.error_dict["resource_ids"])

    def test_second_pending_is_409(self, app, conditional, applicant):
        _apply(conditional, applicant)
        response = app.post("/en/api/3/action/tjportal_access_application_create", headers=applicant["headers"],
                            json={"package_id": conditional["service"]["id"],
                                  "resource_ids": [conditional["resource"]["id"]], **_application()},
                            status=409)
        assert "pending application" in json.dumps(response.json["error"], ensure_ascii=False)

    def test_unconditional_dataset_refused(self, catalogue, applicant):
        with pytest.raises(tk.ValidationError):
            call_action("tjportal_access_application_create", context={"user": applicant["user"]["name"]},
                        package_id=catalogue["service"]["id"], resource_ids=[catalogue["resource"]["id"]],
                        **_application())

    def test_form_shows_errors(self, app, conditional, applicant):
        response = app.post(_url("tjportal_developer_access.apply", id="bus-lines"), headers=applicant["headers"],
                            data={**_application(end_date="2020-01-01"),
                                  "resource_ids": [conditional["resource"]["id"]]})
        assert response.status_code == 200
        assert "before the start date" in response.body
        assert "研究公交线网密度" in response.body
