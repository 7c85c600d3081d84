"""Tests of DataStore downloads in every format, with Chinese text and the
data dictionary's labels, and of who may download them."""
from __future__ import annotations

import codecs
import csv
import io
import json
import urllib.parse
import xml.etree.ElementTree as ElementTree

import openpyxl
import pytest

import ckan.plugins.toolkit as tk

from .conftest import PLUGINS, RECORDS, create_table

pytestmark = [
    pytest.mark.ckan_config("ckan.plugins", PLUGINS),
    pytest.mark.usefixtures("with_plugins", "clean_db", "clean_redis"),
]

HEADERS = ["_id", "district (区县)", "population (常住人口)", "note"]


def _dump(app, resource_id, status=200, headers=None, url_prefix="", **params):
    """Request a dump; ``url_prefix`` "/en" selects English messages."""
    url = url_prefix + tk.url_for("datastore.dump", resource_id=resource_id, **params)
    return app.get(url, status=status, headers=headers or {})


class TestDumpFormats:
    def test_csv_has_bom_labels_and_chinese(self, app, catalogue):
        response = _dump(app, catalogue["resource"]["id"], format="csv")
        assert response.headers["Content-Type"].startswith("text/csv")
        assert response.data.startswith(codecs.BOM_UTF8)
        rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"), newline="")))
        assert rows[0] == HEADERS
        assert [row[1] for row in rows[1:]] == [record["district"] for record in RECORDS]
        assert rows[2][3] == RECORDS[1]["note"]
        assert rows[3][3] == RECORDS[2]["note"]

    def test_csv_without_bom_on_request(self, app, catalogue):
        response = _dump(app, catalogue["resource"]["id"], format="csv", bom="false")
        assert not response.data.startswith(codecs.BOM_UTF8)
        assert response.data.decode("utf-8").splitlines()[0] == ",".join(HEADERS)

    def test_tsv_has_labels_and_chinese(self, app, catalogue):
        response = _dump(app, catalogue["resource"]["id"], format="tsv")
        assert response.headers["Content-Type"].startswith("text/tab-separated-values")
        rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"), newline=""),
                               dialect="excel-tab"))
        assert rows[0] == HEADERS
        assert rows[1][1:3] == ["和平区", "355000"]

    def test_json_keeps_chinese_and_labels(self, app, catalogue):
        response = _dump(app, catalogue["resource"]["id"], format="json")
        body = json.loads(response.data.decode("utf-8"))
        labels = {field["id"]: field.get("info", {}).get("label") for field in body["fields"]}
        assert labels["district"] == "区县"
        assert body["records"][0][1] == "和平区"

    def test_xml_keeps_chinese(self, app, catalogue):
        response = _dump(app, catalogue["resource"]["id"], format="xml")
        root = ElementTree.fromstring(response.data)
        assert [row.find("district").text for row in root] == [record["district"] for record in RECORDS]

    def test_xlsx_headers_and_cells(self, app, catalogue):
        response = _dump(app, catalogue["resource"]["id"], format="xlsx")
        assert response.headers["Content-Type"] == (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        assert 'filename="{}.xlsx"'.format(catalogue["resource"]["id"]) in response.headers["Content-Disposition"]
        workbook = openpyxl.load_workbook(io.BytesIO(response.data))
        sheet = workbook.active
        assert sheet.title == "各区人口"
        rows = list(sheet.iter_rows(values_only=True))
        assert list(rows[0]) == HEADERS
        assert rows[1][1] == "和平区"
        assert rows[1][2] == 355000
        assert rows[3][1] == "滨海新区"

    def test_xlsx_text_never_becomes_formula(self, app, catalogue):
        response = _dump(app, catalogue["resource"]["id"], format="xlsx")
        cell = openpyxl.load_workbook(io.BytesIO(response.data)).active["D2"]
        assert cell.value == "=SUM(A1:A2)"
        assert cell.data_type == "s"

    def test_xlsx_limit_and_filters(self, app, catalogue):
        response = _dump(app, catalogue["resource"]["id"], format="xlsx",
                         filters=json.dumps({"district": "河西区"}))
        rows = list(openpyxl.load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True))
        assert len(rows) == 2
        assert rows[1][1] == "河西区"

    def test_format_name_case_insensitive(self, app, catalogue):
        response = _dump(app, catalogue["resource"]["id"], format="XLSX")
        assert openpyxl.load_workbook(io.BytesIO(response.data)).active["B2"].value == "和平区"


def _filename(response) -> str:
    """Return the UTF-8 file name a browser saves the download under."""
    header = response.headers["Content-Disposition"]
    encoded = header.split("filename*=UTF-8''", 1)[1]
    return urllib.parse.unquote(encoded)


class TestDownloadFileName:
    @pytest.mark.parametrize("fmt", ["csv", "xlsx", "json"])
    def test_named_after_resource(self, app, catalogue, fmt):
        response = _dump(app, catalogue["resource"]["id"], format=fmt)
        assert _filename(response) == "各区人口." + fmt
        # Clients without RFC 6266 support still get a safe ASCII name.
        assert 'filename="{}.{}"'.format(catalogue["resource"]["id"], fmt) in response.headers["Content-Disposition"]

    def test_unsafe_characters_replaced(self, app, catalogue):
        resource = create_table(catalogue["dataset"], name='人口/2024: "各区"<b>\r\n')
        name = _filename(_dump(app, resource["id"], format="csv"))
        assert name == "人口 2024 各区 b.csv"
        for character in '/\\:"<>\r\n':
            assert character not in name


class TestDumpErrors:
    def test_unknown_format_is_400(self, app, catalogue):
        response = _dump(app, catalogue["resource"]["id"], format="pdf", status=400)
        assert "pdf" in response.body
        assert "xlsx" in response.body

    def test_unknown_resource_is_404(self, app, catalogue):
        _dump(app, "no-such-resource", format="xlsx", status=404)

    def test_invalid_limit_is_400(self, app, catalogue):
        _dump(app, catalogue["resource"]["id"], format="xlsx", limit="many", status=400)


class TestPrivateDataset:
    @pytest.mark.parametrize("fmt", ["csv", "json", "xlsx"])
    def test_outsider_cannot_download(self, app, catalogue, fmt):
        _dump(app, catalogue["private_resource"]["id"], format=fmt, status=404)

    def test_member_can_download(self, app, catalogue):
        response = _dump(app, catalogue["private_resource"]["id"], format="xlsx",
                         headers={"Authorization": catalogue["member"]["token"]})
        assert openpyxl.load_workbook(io.BytesIO(response.data)).active["B2"].value == "和平区"


class TestDataserviceTokenRule:
    @pytest.mark.parametrize("fmt", ["csv", "xlsx"])
    def test_anonymous_dump_refused(self, app, catalogue, fmt):
        response = _dump(app, catalogue["service_resource"]["id"], format=fmt, status=403,
                         url_prefix="/en")
        assert "developer API token" in response.body

    def test_developer_token_dumps_xlsx(self, app, catalogue):
        from ckan.tests import factories
        from ckan.tests.helpers import call_action

        user = factories.User()
        developer = call_action("tjportal_developer_register", context={"user": user["name"]},
                                name="海河数据工作室", kind="individual", email="dev@example.com",
                                mobile="13812345678", purpose="开发人口查询小程序")
        response = _dump(app, catalogue["service_resource"]["id"], format="xlsx",
                         headers={"Authorization": developer["token"]})
        assert openpyxl.load_workbook(io.BytesIO(response.data)).active["B2"].value == "和平区"

    def test_dataset_dump_needs_no_token(self, app, catalogue):
        _dump(app, catalogue["resource"]["id"], format="xlsx")
