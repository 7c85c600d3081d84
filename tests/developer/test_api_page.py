"""Tests of a data service's API page: the documentation and the test console."""
from __future__ import annotations

import json

import pytest
from bs4 import BeautifulSoup

import ckan.plugins.toolkit as tk
from ckan.tests import factories
from ckan.tests.helpers import call_action
from ckanext.tjportal.developer import api_page

from .helpers import PLUGINS, RECORDS, registration

pytestmark = [
    pytest.mark.ckan_config("ckan.plugins", PLUGINS),
    pytest.mark.usefixtures("with_plugins", "clean_db", "clean_redis"),
]

SCRIPT_LABEL = "<script>alert('x')</script>站点数"


def _url(**values):
    # The English page, so assertions can use the msgids.
    return "/en" + tk.url_for("tjportal_developer_api.api_page", **values)


def _soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.body, "html.parser")


def _text(response, element_id: str) -> str:
    return _soup(response).find(id=element_id).get_text()


@pytest.fixture
def labelled(catalogue):
    """Give the data service's table a data dictionary with Chinese labels,
    one of them containing a script tag."""
    call_action(
        "datastore_create",
        context={"user": factories.Sysadmin()["name"]},
        resource_id=catalogue["resource"]["id"],
        force=True,
        fields=[
            {"id": "line", "type": "text", "info": {"label": "线路名称", "notes": "公交线路的名称"}},
            {"id": "stops", "type": "int", "info": {"label": SCRIPT_LABEL, "notes": "沿线站点数量"}},
        ],
    )
    return catalogue


@pytest.fixture
def console_developer():
    """A logged-in approved developer: a user with a CKAN token for the pages
    and a developer registration with its portal token."""
    user = factories.UserWithToken()
    result = call_action("tjportal_developer_register", context={"user": user["name"]}, **registration())
    return {"user": user, "headers": {"Authorization": user["token"]}, "developer": result}


class TestApiDocumentation:
    def test_link_on_data_service_page(self, app, catalogue):
        response = app.get("/en/dataservice/" + catalogue["service"]["name"])
        link = _soup(response).find(id="tjportal-api-link")
        assert link["href"] == _url(id=catalogue["service"]["name"])

    def test_api_tab_active_on_api_page(self, app, catalogue):
        response = app.get(_url(id=catalogue["service"]["name"]))
        tabs = [" ".join(tab.get_text().split()) for tab in _soup(response).select(".page-header .nav-tabs li")]
        assert tabs == ["Data service", "Topics", "API"]

    def test_endpoint_and_parameters(self, app, catalogue):
        response = app.get(_url(id=catalogue["service"]["name"]))
        endpoint = _text(response, "tjportal-api-endpoint")
        assert "http://test.ckan.net/api/3/action/datastore_search" in endpoint
        assert "GET" in endpoint
        assert "POST" in endpoint
        assert "Authorization: YOUR_DEVELOPER_TOKEN" in endpoint
        assert catalogue["resource"]["id"] in endpoint
        parameters = _text(response, "tjportal-api-parameters")
        for name in ("resource_id", "q", "filters", "fields", "sort", "limit", "offset"):
            assert name in parameters
        assert "from 1 to 32000" in parameters

    @pytest.mark.ckan_config("ckan.datastore.search.rows_max", "500")
    def test_limit_follows_rows_max(self, app, catalogue):
        response = app.get(_url(id=catalogue["service"]["name"]))
        assert "from 1 to 500" in _text(response, "tjportal-api-parameters")

    def test_fields_with_labels_escaped(self, app, labelled):
        response = app.get(_url(id=labelled["service"]["name"]))
        assert SCRIPT_LABEL not in response.body
        assert "&lt;script&gt;alert(" in response.body
        fields = _text(response, "tjportal-api-fields")
        assert "线路名称" in fields
        assert "公交线路的名称" in fields
        assert SCRIPT_LABEL in fields
        assert "int" in fields

    def test_field_types_one_name_each(self, app, labelled):
        response = app.get(_url(id=labelled["service"]["name"]))
        rows = _soup(response).find(id="tjportal-api-fields").find("tbody").find_all("tr")
        types = {row.find("code").get_text(): row.find_all("td")[1].get_text() for row in rows}
        assert types["_id"] == "integer"
        assert types["stops"] == "integer"
        assert types["line"] == "text"

    @pytest.mark.parametrize("datastore_type, expected", [
        ("int4", "integer"),
        ("int", "integer"),
        ("int8", "bigint"),
        ("float8", "double precision"),
        ("numeric", "numeric"),
        ("timestamp", "timestamp"),
        ("_text", "text[]"),
        ("bool", "boolean"),
    ])
    def test_type_names_from_postgresql_docs(self, datastore_type, expected):
        assert api_page.postgresql_type_name(datastore_type) == expected

    def test_status_codes_listed(self, app, catalogue):
        status = _text(app.get(_url(id=catalogue["service"]["name"])), "tjportal-api-status")
        for code in ("200", "400", "403", "404", "409", "429", "Retry-After", "X-RateLimit-Remaining"):
            assert code in status

    def test_samples_use_resource_and_site(self, app, catalogue):
        response = app.get(_url(id=catalogue["service"]["name"]))
        resource_id = catalogue["resource"]["id"]
        for sample in ("curl", "curl-post", "python", "javascript"):
            text = _text(response, "tjportal-api-sample-" + sample)
            assert resource_id in text
            assert "http://test.ckan.net/api/3/action/datastore_search" in text
            assert "Authorization" in text
        assert "requests.post" in _text(response, "tjportal-api-sample-python")
        assert "fetch(" in _text(response, "tjportal-api-sample-javascript")

    def test_python_sample_runs_against_site(self, app, catalogue, developer):
        """The POST body of the samples is accepted by the real API."""
        response = app.get(_url(id=catalogue["service"]["name"]))
        python = _text(response, "tjportal-api-sample-python")
        body = json.loads(python.split("json=", 1)[1].split(",\n", 1)[0])
        result = app.post("/api/3/action/datastore_search", json=body,
                          headers={"Authorization": developer["token"]})
        assert len(result.json["result"]["records"]) == 5

    def test_plain_dataset_has_no_api_page(self, app, catalogue):
        app.get(_url(id=catalogue["dataset"]["name"]), status=404)

    def test_private_service_hidden(self, app, catalogue):
        call_action("package_patch", context={"user": factories.Sysadmin()["name"]},
                    id=catalogue["service"]["id"], private=True)
        outsider = factories.UserWithToken()
        app.get(_url(id=catalogue["service"]["name"]), status=404)
        app.get(_url(id=catalogue["service"]["name"]), headers={"Authorization": outsider["token"]}, status=404)
        app.get(_url(id=catalogue["service"]["name"]),
                headers={"Authorization": catalogue["editor"]["token"]}, status=200)

    def test_chinese_page(self, app, catalogue):
        response = app.get(tk.url_for("tjportal_developer_api.api_page", id=catalogue["service"]["name"]))
        assert "API documentation" not in response.body


class TestConsoleVisibility:
    def test_anonymous_sees_login_link(self, app, catalogue):
        response = app.get(_url(id=catalogue["service"]["name"]))
        console = _soup(response).find(id="tjportal-api-console")
        assert console.find("form") is None
        assert "/user/login" in str(console)

    def test_non_developer_sees_register_link(self, app, catalogue):
        user = factories.UserWithToken()
        response = app.get(_url(id=catalogue["service"]["name"]), headers={"Authorization": user["token"]})
        console = _soup(response).find(id="tjportal-api-console")
        assert console.find("form") is None
        assert "/developer/register" in str(console)

    def test_non_developer_post_refused(self, app, catalogue):
        user = factories.UserWithToken()
        response = app.post(_url(id=catalogue["service"]["name"]), data={"limit": "5"},
                            headers={"Authorization": user["token"]})
        assert "Only approved developers" in _text(response, "tjportal-api-console-error")

    def test_developer_form_has_csrf_and_fields(self, app, labelled, console_developer):
        response = app.get(_url(id=labelled["service"]["name"]), headers=console_developer["headers"])
        form = _soup(response).find("form", id="tjportal-api-console-form")
        assert form.find("input", attrs={"name": "_csrf_token"}) is not None
        assert form.find("input", attrs={"name": "filter.line"}) is not None
        assert form.find("input", attrs={"name": "filter.stops"}) is not None
        assert "线路名称" in form.get_text()


class TestConsoleCall:
    def _post(self, app, catalogue, console_developer, **data):
        return app.post(_url(id=catalogue["service"]["name"]), data=data, headers=console_developer["headers"])

    def test_call_shows_result_and_status(self, app, catalogue, console_developer):
        response = self._post(app, catalogue, console_developer, limit="3", sort="stops", direction="desc")
        assert _text(response, "tjportal-api-console-status") == "200"
        assert "ms" in _text(response, "tjportal-api-console-time")
        body = json.loads(_text(response, "tjportal-api-console-body"))
        assert body["success"] is True
        assert [record["stops"] for record in body["result"]["records"]] == [RECORDS, RECORDS - 1, RECORDS - 2]
        url = _text(response, "tjportal-api-console-url")
        assert url.startswith("http://test.ckan.net/api/3/action/datastore_search?")
        assert catalogue["resource"]["id"] in url
        assert "limit=3" in url

    def test_filters_and_fields(self, app, catalogue, console_developer):
        response = self._post(app, catalogue, console_developer, **{"filter.stops": "7", "fields": "line"})
        body = json.loads(_text(response, "tjportal-api-console-body"))
        assert body["result"]["records"] == [{"line": "7路"}]

    def test_call_counted_in_usage(self, app, catalogue, console_developer):
        self._post(app, catalogue, console_developer, limit="1")
        self._post(app, catalogue, console_developer, limit="1")
        usage = call_action("tjportal_developer_usage_list", context={"user": console_developer["user"]["name"]})
        assert usage["calls_today"] == 2
        assert [row["calls"] for row in usage["usage"]] == [2]
        assert usage["usage"][0]["resource_id"] == catalogue["resource"]["id"]

    @pytest.mark.ckan_config("ckanext.tjportal.developer.daily_quota", "1")
    def test_quota_reached_shows_429(self, app, catalogue, console_developer):
        first = self._post(app, catalogue, console_developer, limit="1")
        assert _text(first, "tjportal-api-console-status") == "200"
        assert _text(first, "tjportal-api-console-remaining").strip() == "0 / 1"
        second = self._post(app, catalogue, console_developer, limit="1")
        assert _text(second, "tjportal-api-console-status") == "429"
        body = json.loads(_text(second, "tjportal-api-console-body"))
        assert "Daily quota of 1 calls used up" in body["error"]["message"]
        usage = call_action("tjportal_developer_usage_list", context={"user": console_developer["user"]["name"]})
        assert usage["calls_today"] == 1

    def test_revoked_token_refused(self, app, catalogue, console_developer):
        call_action("tjportal_developer_token_revoke", context={"user": console_developer["user"]["name"]})
        response = self._post(app, catalogue, console_developer, limit="1")
        console = _soup(response).find(id="tjportal-api-console")
        assert console.find("form") is None
        assert "Only approved developers" in _text(response, "tjportal-api-console-error")

    @pytest.mark.parametrize("data, message", [
        ({"filters": "{not json"}, "The filters are not valid JSON"),
        ({"filters": "[1, 2]"}, "must be a JSON object"),
        ({"filters": '{"colour": "red"}'}, 'Unknown field "colour"'),
        ({"fields": "colour"}, 'Unknown field "colour"'),
        ({"sort": "colour"}, 'Unknown field "colour"'),
        ({"sort": "line", "direction": "sideways"}, "asc or desc"),
        ({"limit": "101"}, "limit must be at most 100, not 101"),
        ({"limit": "0"}, "limit must be at least 1"),
        ({"limit": "ten"}, 'limit must be a whole number, not "ten"'),
        ({"offset": "-1"}, "offset must be at least 0"),
    ])
    def test_bad_input_shows_message(self, app, catalogue, console_developer, data, message):
        response = self._post(app, catalogue, console_developer, **data)
        assert response.status_code == 200
        assert message in _text(response, "tjportal-api-console-error")
        assert _soup(response).find(id="tjportal-api-console-result") is None
        usage = call_action("tjportal_developer_usage_list", context={"user": console_developer["user"]["name"]})
        assert usage["calls_today"] == 0

    def test_datastore_validation_error_shown_as_409(self, app, catalogue, console_developer):
        response = self._post(app, catalogue, console_developer, **{"filter.stops": "many"})
        assert _text(response, "tjportal-api-console-status") == "409"
        usage = call_action("tjportal_developer_usage_list", context={"user": console_developer["user"]["name"]})
        assert usage["calls_today"] == 0

    def test_user_text_escaped_in_result(self, app, catalogue, console_developer):
        response = self._post(app, catalogue, console_developer, q="<script>alert(1)</script>")
        assert "<script>alert(1)</script>" not in response.body
        assert _text(response, "tjportal-api-console-status") == "200"
