"""Tests of metered data-service calls through the Action API: token checks,
daily quotas, rate-limit headers and buffered usage counts."""
from __future__ import annotations

import datetime
import json
from zoneinfo import ZoneInfo

import pytest
from freezegun import freeze_time

import ckan.model as model
from ckan.cli.cli import ckan as ckan_command
import ckan.plugins.toolkit as tk
from ckan.tests import factories
from ckan.tests.helpers import call_action

from ckanext.tjportal.developer.model import Developer, DeveloperUsage

from .helpers import PLUGINS, RECORDS

pytestmark = [
    pytest.mark.ckan_config("ckan.plugins", PLUGINS),
    pytest.mark.usefixtures("with_plugins", "clean_db", "clean_redis"),
]

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _search(app, resource_id, token=None, status=200, url_prefix="/en", **params):
    """Call datastore_search through the Action API, in English unless
    ``url_prefix`` selects another locale."""
    headers = {"Authorization": token} if token else {}
    params = dict(params, resource_id=resource_id)
    response = app.get(url_prefix + "/api/3/action/datastore_search", query_string=params,
                       headers=headers, status=status)
    return response


def _error_message(response) -> str:
    return json.loads(response.body)["error"]["message"]


def _usage_rows(developer_id):
    model.Session.expire_all()
    return {
        (row.resource_id, row.day): row.calls
        for row in model.Session.query(DeveloperUsage).filter_by(developer_id=developer_id)
    }


class TestTokenRequired:
    def test_anonymous_refused_with_registration_link(self, app, catalogue):
        response = _search(app, catalogue["resource"]["id"], status=403)
        message = _error_message(response)
        assert "developer API token" in message
        assert "/developer/register" in message
        assert "X-RateLimit-Limit" not in response.headers

    def test_message_in_default_chinese(self, app, catalogue):
        english = _error_message(_search(app, catalogue["resource"]["id"], status=403))
        chinese = _error_message(_search(app, catalogue["resource"]["id"], status=403, url_prefix=""))
        assert chinese != english
        assert "http://test.ckan.net/developer/register" in chinese

    def test_developer_token_accepted(self, app, catalogue, developer):
        response = _search(app, catalogue["resource"]["id"], token=developer["token"], limit=5)
        result = json.loads(response.body)["result"]
        assert len(result["records"]) == 5
        assert result["total"] == RECORDS

    def test_plain_dataset_not_metered(self, app, catalogue):
        response = _search(app, catalogue["dataset_resource"]["id"])
        assert "X-RateLimit-Limit" not in response.headers

    @pytest.mark.ckan_config("ckanext.tjportal.dataservice.require_token", "false")
    def test_requirement_can_be_switched_off(self, app, catalogue):
        _search(app, catalogue["resource"]["id"])

    def test_revoked_token_refused(self, app, catalogue, developer):
        call_action("tjportal_developer_token_revoke", context={"user": developer["user"]["name"]})
        response = _search(app, catalogue["resource"]["id"], token=developer["token"], status=403)
        assert "revoked or does not exist" in _error_message(response)

    def test_regenerated_token_replaces_old(self, app, catalogue, developer):
        issued = call_action("tjportal_developer_token_issue", context={"user": developer["user"]["name"]})
        _search(app, catalogue["resource"]["id"], token=developer["token"], status=403)
        _search(app, catalogue["resource"]["id"], token=issued["token"])

    def test_revoked_developer_refused(self, app, catalogue, developer):
        call_action("tjportal_developer_revoke", context={"user": factories.Sysadmin()["name"]},
                    id=developer["developer"]["id"])
        response = _search(app, catalogue["resource"]["id"], token=developer["token"], status=403)
        assert "revoked or does not exist" in _error_message(response)

    @pytest.mark.parametrize("token", ["not-a-token", "Bearer abc.def.ghi"])
    def test_malformed_token_refused(self, app, catalogue, token):
        response = _search(app, catalogue["resource"]["id"], token=token, status=403)
        assert "malformed" in _error_message(response)

    def test_personal_token_refused(self, app, catalogue, developer):
        name = developer["user"]["name"]
        personal = call_action("api_token_create", context={"user": name}, user=name, name="personal")["token"]
        response = _search(app, catalogue["resource"]["id"], token=personal, status=403)
        assert "only accepts the developer API token" in _error_message(response)


class TestExemptions:
    def test_sysadmin_not_metered(self, app, catalogue):
        sysadmin = factories.SysadminWithToken()
        response = _search(app, catalogue["resource"]["id"], token=sysadmin["token"])
        assert "X-RateLimit-Limit" not in response.headers

    def test_department_editor_not_metered(self, app, catalogue):
        response = _search(app, catalogue["resource"]["id"], token=catalogue["editor"]["token"])
        assert "X-RateLimit-Limit" not in response.headers

    def test_department_member_metered(self, app, catalogue):
        response = _search(app, catalogue["resource"]["id"], token=catalogue["member"]["token"], status=403)
        assert "developer API token" in _error_message(response)

    def test_editor_of_other_department_metered(self, app, catalogue):
        other = factories.UserWithToken()
        factories.Organization(users=[{"name": other["name"], "capacity": "admin"}])
        _search(app, catalogue["resource"]["id"], token=other["token"], status=403)


class TestQuota:
    """Frozen clocks lie after the fixture tokens were issued, because PyJWT
    rejects a token whose issue time is in the future."""

    def test_headers_count_down(self, app, catalogue, developer):
        first = _search(app, catalogue["resource"]["id"], token=developer["token"])
        second = _search(app, catalogue["resource"]["id"], token=developer["token"])
        assert first.headers["X-RateLimit-Limit"] == "10000"
        assert first.headers["X-RateLimit-Remaining"] == "9999"
        assert second.headers["X-RateLimit-Remaining"] == "9998"

    @freeze_time("2027-06-01 15:30:00")
    def test_reset_is_next_midnight_in_shanghai(self, app, catalogue, developer):
        response = _search(app, catalogue["resource"]["id"], token=developer["token"])
        # 15:30 UTC is 23:30 in Shanghai, so the quota resets half an hour later.
        midnight = datetime.datetime(2027, 6, 2, tzinfo=SHANGHAI)
        assert response.headers["X-RateLimit-Reset"] == str(int(midnight.timestamp()))

    @pytest.mark.ckan_config("ckanext.tjportal.developer.daily_quota", "3")
    def test_quota_reaches_429_and_resets_next_day(self, app, catalogue, developer):
        resource_id = catalogue["resource"]["id"]
        with freeze_time("2027-06-01 10:00:00") as clock:
            for remaining in ("2", "1", "0"):
                response = _search(app, resource_id, token=developer["token"])
                assert response.headers["X-RateLimit-Remaining"] == remaining
            refused = _search(app, resource_id, token=developer["token"], status=429)
            # 10:00 UTC is 18:00 in Shanghai: six hours to midnight.
            assert refused.headers["Retry-After"] == str(6 * 3600)
            assert refused.headers["X-RateLimit-Remaining"] == "0"
            body = json.loads(refused.body)
            assert body["error"]["__type"] == "Rate Limit Error"
            assert "Daily quota of 3 calls used up" in body["error"]["message"]

            clock.move_to("2027-06-01 16:00:01")  # 00:00:01 on 2 June in Shanghai
            again = _search(app, resource_id, token=developer["token"])
            assert again.headers["X-RateLimit-Remaining"] == "2"

    @pytest.mark.ckan_config("ckanext.tjportal.developer.daily_quota", "1")
    def test_quota_is_per_developer(self, app, catalogue, developer):
        other = factories.User()
        other_token = call_action("tjportal_developer_register", context={"user": other["name"]},
                                  purpose="另一个开发者", name="其他开发者", kind="individual",
                                  email="other@example.com", mobile="13900000000")["token"]
        _search(app, catalogue["resource"]["id"], token=developer["token"])
        _search(app, catalogue["resource"]["id"], token=developer["token"], status=429)
        _search(app, catalogue["resource"]["id"], token=other_token)


class TestBadInput:
    @pytest.mark.parametrize("params, status, message", [
        ({"filters": "{not json"}, 409, "filters"),
        ({"fields": "no_such_field"}, 409, "no_such_field"),
        ({"limit": "-1"}, 409, "limit"),
        ({"limit": "many"}, 409, "limit"),
        ({"sort": "no_such_field desc"}, 409, "no_such_field"),
    ])
    def test_bad_search_keeps_quota(self, app, catalogue, developer, params, status, message):
        response = _search(app, catalogue["resource"]["id"], token=developer["token"], status=status, **params)
        assert message in response.body
        ok = _search(app, catalogue["resource"]["id"], token=developer["token"])
        assert ok.headers["X-RateLimit-Remaining"] == "9999"

    def test_unknown_resource_not_found(self, app, catalogue, developer):
        response = _search(app, "no-such-resource", token=developer["token"], status=404)
        assert "no-such-resource" in _error_message(response)

    def test_unknown_resource_not_found_for_anonymous(self, app, catalogue):
        _search(app, "no-such-resource", status=404)

    def test_limit_above_maximum_clipped(self, app, catalogue, developer):
        response = _search(app, catalogue["resource"]["id"], token=developer["token"], limit="1000000")
        assert len(json.loads(response.body)["result"]["records"]) == RECORDS


class TestUsage:
    def test_calls_counted_and_flushed(self, app, cli, catalogue, developer):
        developer_id = developer["developer"]["id"]
        for _ in range(3):
            _search(app, catalogue["resource"]["id"], token=developer["token"])
        _search(app, catalogue["resource"]["id"], token=developer["token"], status=409, limit="-1")

        assert _usage_rows(developer_id) == {}
        usage = call_action("tjportal_developer_usage_list", context={"user": developer["user"]["name"]})
        assert [row["calls"] for row in usage["usage"]] == [3]
        assert usage["calls_today"] == 3

        result = cli.invoke(ckan_command, ["tjportal-developer", "flush-usage"])
        assert result.exit_code == 0, result.output
        assert "Wrote 1 usage rows" in result.output
        rows = _usage_rows(developer_id)
        assert list(rows.values()) == [3]

        usage = call_action("tjportal_developer_usage_list", context={"user": developer["user"]["name"]})
        assert [row["calls"] for row in usage["usage"]] == [3]

    @pytest.mark.ckan_config("ckanext.tjportal.developer.usage_flush_every", "2")
    def test_buffer_flushed_every_n_calls(self, app, catalogue, developer):
        developer_id = developer["developer"]["id"]
        _search(app, catalogue["resource"]["id"], token=developer["token"])
        assert _usage_rows(developer_id) == {}
        _search(app, catalogue["resource"]["id"], token=developer["token"])
        assert list(_usage_rows(developer_id).values()) == [2]
        _search(app, catalogue["resource"]["id"], token=developer["token"])
        _search(app, catalogue["resource"]["id"], token=developer["token"])
        assert list(_usage_rows(developer_id).values()) == [4]

    def test_usage_per_resource_and_day(self, app, catalogue, developer):
        second = factories.Resource(package_id=catalogue["service"]["id"], url_type="datastore")
        call_action("datastore_create", context={"user": factories.Sysadmin()["name"]},
                    resource_id=second["id"], force=True, records=[{"a": 1}])
        with freeze_time("2027-06-01 03:00:00") as clock:
            _search(app, catalogue["resource"]["id"], token=developer["token"])
            _search(app, second["id"], token=developer["token"])
            clock.move_to("2027-06-02 03:00:00")
            _search(app, second["id"], token=developer["token"])
            sysadmin = factories.Sysadmin()
            call_action("tjportal_developer_usage_flush", context={"user": sysadmin["name"]})
        rows = _usage_rows(developer["developer"]["id"])
        assert rows == {
            (catalogue["resource"]["id"], datetime.date(2027, 6, 1)): 1,
            (second["id"], datetime.date(2027, 6, 1)): 1,
            (second["id"], datetime.date(2027, 6, 2)): 1,
        }


@pytest.mark.ckan_config("ckan.datastore.sqlsearch.enabled", "true")
class TestSqlSearch:
    def _sql(self, app, resource_id, token=None, status=200):
        headers = {"Authorization": token} if token else {}
        return app.get("/en/api/3/action/datastore_search_sql",
                       query_string={"sql": 'SELECT count(*) AS n FROM "{}"'.format(resource_id)},
                       headers=headers, status=status)

    def test_sql_requires_token(self, app, catalogue):
        response = self._sql(app, catalogue["resource"]["id"], status=403)
        assert "developer API token" in _error_message(response)

    def test_sql_metered_with_token(self, app, catalogue, developer):
        response = self._sql(app, catalogue["resource"]["id"], token=developer["token"])
        assert json.loads(response.body)["result"]["records"] == [{"n": RECORDS}]
        assert response.headers["X-RateLimit-Remaining"] == "9999"

    def test_sql_on_plain_dataset_not_metered(self, app, catalogue):
        response = self._sql(app, catalogue["dataset_resource"]["id"])
        assert "X-RateLimit-Limit" not in response.headers


class TestDump:
    def _dump(self, app, resource_id, token=None, status=200):
        headers = {"Authorization": token} if token else {}
        return app.get("/en/datastore/dump/{}".format(resource_id), headers=headers, status=status)

    def test_dump_requires_token(self, app, catalogue):
        response = self._dump(app, catalogue["resource"]["id"], status=403)
        assert "developer API token" in response.body

    def test_dump_with_token_counted(self, app, catalogue, developer):
        response = self._dump(app, catalogue["resource"]["id"], token=developer["token"])
        assert "30路" in response.body
        assert response.headers["X-RateLimit-Remaining"] == "9999"

    @pytest.mark.ckan_config("ckanext.tjportal.developer.daily_quota", "1")
    def test_dump_past_quota(self, app, catalogue, developer):
        self._dump(app, catalogue["resource"]["id"], token=developer["token"])
        response = self._dump(app, catalogue["resource"]["id"], token=developer["token"], status=429)
        assert int(response.headers["Retry-After"]) > 0

    def test_dump_of_plain_dataset_not_metered(self, app, catalogue):
        response = self._dump(app, catalogue["dataset_resource"]["id"])
        assert "X-RateLimit-Limit" not in response.headers


class TestTokenCache:
    """A token check is cached in Redis after the first call, so these
    tests call once before each revocation."""

    def test_token_revoke_ends_cached_token(self, app, catalogue, developer):
        _search(app, catalogue["resource"]["id"], token=developer["token"])
        call_action("tjportal_developer_token_revoke", context={"user": developer["user"]["name"]})
        response = _search(app, catalogue["resource"]["id"], token=developer["token"], status=403)
        assert "revoked or does not exist" in _error_message(response)

    def test_developer_revoke_ends_cached_token(self, app, catalogue, developer):
        _search(app, catalogue["resource"]["id"], token=developer["token"])
        call_action("tjportal_developer_revoke", context={"user": factories.Sysadmin()["name"]},
                    id=developer["developer"]["id"])
        _search(app, catalogue["resource"]["id"], token=developer["token"], status=403)

    def test_new_token_ends_cached_token(self, app, catalogue, developer):
        _search(app, catalogue["resource"]["id"], token=developer["token"])
        issued = call_action("tjportal_developer_token_issue", context={"user": developer["user"]["name"]})
        _search(app, catalogue["resource"]["id"], token=developer["token"], status=403)
        _search(app, catalogue["resource"]["id"], token=issued["token"])

    @pytest.mark.parametrize("by_id", [True, False])
    def test_core_revoke_ends_cached_token(self, app, catalogue, developer, by_id):
        # CKAN's API token page revokes by token id, its API also by token.
        _search(app, catalogue["resource"]["id"], token=developer["token"])
        if by_id:
            reference = {"jti": Developer.get(developer["developer"]["id"]).token_id}
        else:
            reference = {"token": developer["token"]}
        call_action("api_token_revoke", context={"user": developer["user"]["name"]}, **reference)
        response = _search(app, catalogue["resource"]["id"], token=developer["token"], status=403)
        assert "revoked or does not exist" in _error_message(response)


class TestFailedAfterAdmission:
    def test_database_error_gives_back_quota_and_usage(self, app, catalogue, developer):
        resource_id = catalogue["resource"]["id"]
        _search(app, resource_id, token=developer["token"], status=409,
                filters=json.dumps({"_id": "not a number"}))
        ok = _search(app, resource_id, token=developer["token"])
        assert ok.headers["X-RateLimit-Remaining"] == "9999"
        usage = call_action("tjportal_developer_usage_list", context={"user": developer["user"]["name"]})
        assert [row["calls"] for row in usage["usage"]] == [1]
