"""Tests of uploaded CSV files on their way into the DataStore: encoding
conversion, the checks that reject broken files, and ckanext-xloader's
loading code run synchronously on the stored file."""
from __future__ import annotations

import codecs
import io
import logging

import openpyxl
import pytest
from bs4 import BeautifulSoup
from werkzeug.datastructures import FileStorage

import ckan.plugins.toolkit as tk
from ckan.lib import uploader
from ckan.tests import factories
from ckan.tests.helpers import call_action

from ckanext.xloader import loader

from .conftest import PLUGINS, create_record

pytestmark = [
    pytest.mark.ckan_config("ckan.plugins", PLUGINS + " xloader"),
    # Keep Chinese column names instead of transliterating them to pinyin.
    pytest.mark.ckan_config("ckanext.xloader.unidecode_headers", "false"),
    pytest.mark.ckan_config("ckanext.xloader.jobs_db.uri", "sqlite:////tmp/tjportal-test-xloader-jobs.db"),
    pytest.mark.usefixtures("with_plugins", "clean_db", "clean_redis"),
]

TABLE = "区县,常住人口,备注\n和平区,355000,中心城区\n滨海新区,2067000,含“引号”与𠀀\n"
# U+20000 is outside GBK but inside GB18030, which the conversion decodes.
BROKEN_TABLE = "区县,常住人口\n和平区,355000\n河西区,822000,多出的值\n"

log = logging.getLogger(__name__)


@pytest.fixture
def dataset():
    department = factories.Organization(name="tj-stats", title="天津市统计局")
    topic = factories.Group(name="population", title="人口")
    return create_record(department, topic, "district-population")


def _upload(content: bytes, filename: str = "人口.csv") -> FileStorage:
    return FileStorage(stream=io.BytesIO(content), filename=filename, content_type="text/csv")


def _create(dataset, content: bytes) -> dict:
    return call_action("resource_create", context={"user": factories.Sysadmin()["name"]},
                       package_id=dataset["id"], name="各区人口", format="CSV",
                       upload=_upload(content))


def _stored_bytes(resource: dict) -> bytes:
    path = uploader.get_resource_uploader(resource).get_path(resource["id"])
    with open(path, "rb") as stream:
        return stream.read()


def _load(resource: dict) -> list[dict]:
    """Load the stored file with xloader's COPY loader, as its job does, and
    return the DataStore rows."""
    path = uploader.get_resource_uploader(resource).get_path(resource["id"])
    fields = loader.load_csv(path, resource_id=resource["id"], mimetype="text/csv", logger=log)
    loader.create_column_indexes(fields=fields, resource_id=resource["id"], logger=log)
    return call_action("datastore_search", resource_id=resource["id"])["records"]


class TestEncodingConversion:
    @pytest.mark.parametrize("encoding", ["gb18030", "gbk"])
    def test_gbk_upload_loads_chinese(self, dataset, encoding):
        text = TABLE if encoding == "gb18030" else TABLE.replace("𠀀", "")
        resource = _create(dataset, text.encode(encoding))
        assert _stored_bytes(resource) == text.encode("utf-8")
        records = _load(resource)
        assert [record["区县"] for record in records] == ["和平区", "滨海新区"]
        assert records[1]["备注"] == text.splitlines()[2].split(",")[2]

    def test_utf8_bom_upload_loads_chinese(self, dataset):
        resource = _create(dataset, codecs.BOM_UTF8 + TABLE.encode("utf-8"))
        assert not _stored_bytes(resource).startswith(codecs.BOM_UTF8)
        records = _load(resource)
        assert "区县" in records[0]
        assert records[0]["区县"] == "和平区"

    def test_utf8_upload_stored_unchanged(self, dataset):
        resource = _create(dataset, TABLE.encode("utf-8"))
        assert _stored_bytes(resource) == TABLE.encode("utf-8")

    def test_other_formats_untouched(self, dataset):
        content = TABLE.encode("gb18030")
        resource = call_action("resource_create", context={"user": factories.Sysadmin()["name"]},
                               package_id=dataset["id"], name="说明", format="TXT",
                               upload=_upload(content, "说明.txt"))
        assert _stored_bytes(resource) == content


class TestBrokenUpload:
    def test_extra_value_rejected_with_line(self, dataset):
        with pytest.raises(tk.ValidationError) as error:
            _create(dataset, BROKEN_TABLE.encode("utf-8"))
        message = error.value.error_dict["upload"][0]
        assert "Line 3" in message
        assert "3 values" in message

    def test_undecodable_file_rejected(self, dataset):
        with pytest.raises(tk.ValidationError) as error:
            _create(dataset, b"\xff\xfe\x00\x00\x81\x30" * 10)
        assert "UTF-8" in error.value.error_dict["upload"][0]

    def test_broken_update_keeps_table_and_file(self, dataset):
        resource = _create(dataset, TABLE.replace("𠀀", "").encode("gbk"))
        before = _load(resource)
        stored = _stored_bytes(resource)

        with pytest.raises(tk.ValidationError):
            call_action("resource_update", context={"user": factories.Sysadmin()["name"]},
                        id=resource["id"], package_id=dataset["id"], name="各区人口", format="CSV",
                        upload=_upload(BROKEN_TABLE.encode("gbk"), "人口-新.csv"))

        assert call_action("datastore_search", resource_id=resource["id"])["records"] == before
        assert _stored_bytes(resource) == stored

    def test_api_upload_error_in_chinese(self, app, dataset):
        user = factories.SysadminWithToken()
        response = app.post(
            tk.url_for("api.action", ver=3, logic_function="resource_create"),
            data={"package_id": dataset["id"], "name": "坏文件", "format": "CSV",
                  "upload": (io.BytesIO(BROKEN_TABLE.encode("utf-8")), "bad.csv")},
            headers={"Authorization": user["token"]},
            status=409,
        )
        # The portal's default locale is Chinese.
        message = response.json["error"]["upload"][0]
        assert "第 3 行" in message
        assert "3 个值" in message


def _workbook_bytes() -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["区县", "常住人口"])
    sheet.append(["和平区", 355000])
    sheet.append(["河西区", 822000])
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


class TestWorkbookUpload:
    def test_xlsx_upload_loads_chinese(self, dataset):
        resource = call_action("resource_create", context={"user": factories.Sysadmin()["name"]},
                               package_id=dataset["id"], name="各区人口", format="XLSX",
                               upload=_upload(_workbook_bytes(), "人口.xlsx"))
        path = uploader.get_resource_uploader(resource).get_path(resource["id"])
        # xloader's job loads spreadsheets with load_table when COPY fails.
        loader.load_table(path, resource_id=resource["id"], mimetype="XLSX", logger=log)
        records = call_action("datastore_search", resource_id=resource["id"])["records"]
        assert [record["区县"] for record in records] == ["和平区", "河西区"]

    def test_broken_xlsx_rejected(self, dataset):
        with pytest.raises(tk.ValidationError) as error:
            call_action("resource_create", context={"user": factories.Sysadmin()["name"]},
                        package_id=dataset["id"], name="坏表", format="XLSX",
                        upload=_upload(b"PK\x03\x04 not really a workbook", "坏表.xlsx"))
        assert "XLSX" in error.value.error_dict["upload"][0]


class TestUploadForm:
    def test_form_shows_why_file_rejected(self, app, dataset):
        user = factories.SysadminWithToken()
        headers = {"Authorization": user["token"]}
        url = "/en" + tk.url_for("dataset_resource.new", id=dataset["name"])
        form_page = BeautifulSoup(app.get(url, headers=headers).body, "html.parser")
        csrf_field = form_page.select_one("input[name=_csrf_token]")

        response = app.post(url, headers=headers, data={
            "_csrf_token": csrf_field["value"],
            "id": "", "name": "坏文件", "format": "CSV", "url": "",
            "upload": (io.BytesIO(BROKEN_TABLE.encode("utf-8")), "bad.csv"),
            "save": "go-metadata",
        })

        body = " ".join(response.body.split())
        assert "Line 3 has 3 values but the header has 2 columns" in body
        assert call_action("package_show", id=dataset["id"])["resources"] == []


def _xloader_task(resource: dict):
    """Return xloader's task for the resource, or None when none was submitted."""
    try:
        return call_action("task_status_show", entity_id=resource["id"],
                           task_type="xloader", key="xloader")
    except tk.ObjectNotFound:
        return None


def _link_resource(dataset) -> dict:
    return call_action(
        "resource_create", context={"user": factories.Sysadmin()["name"]},
        package_id=dataset["id"], name="外部链接", format="CSV",
        url="http://127.0.0.1:9/remote.csv",
    )


@pytest.mark.ckan_config("ckanext.xloader.api_token", "token-read-only-when-a-job-runs")
class TestLoaderSources:
    """xloader loads uploaded files only and never fetches a linked address."""

    def test_link_resource_not_submitted(self, dataset):
        resource = _link_resource(dataset)

        assert _xloader_task(resource) is None
        assert call_action("xloader_submit", resource_id=resource["id"]) is False

    def test_uploaded_resource_submitted(self, dataset):
        resource = _create(dataset, TABLE.encode("utf-8"))

        assert _xloader_task(resource) is not None

    @pytest.mark.ckan_config("ckanext.tjportal.downloads.load_uploads_only", "false")
    def test_links_submitted_when_allowed(self, dataset):
        resource = _link_resource(dataset)

        assert _xloader_task(resource) is not None
