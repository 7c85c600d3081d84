"""Tests of the streaming XLSX writer: typed cells, escaping, Excel's
limits and streaming, both on the writer itself and through the DataStore
dump view."""
from __future__ import annotations

import csv
import datetime
import io
import zipfile

import openpyxl
import pytest

import ckan.plugins.toolkit as tk
from ckan.tests import factories
from ckan.tests.helpers import call_action

from ckanext.tjportal.downloads import xlsx

from .conftest import PLUGINS, create_record

TYPED_FIELDS = [
    {"id": "name", "type": "text", "info": {"label": "名称"}},
    {"id": "amount", "type": "numeric", "info": {"label": "金额"}},
    {"id": "count", "type": "int8"},
    {"id": "day", "type": "date", "info": {"label": "日期"}},
    {"id": "moment", "type": "timestamp"},
    {"id": "open", "type": "bool"},
    {"id": "extra", "type": "json"},
    {"id": "tags", "type": "_text"},
]
TYPED_RECORDS = [
    {"name": '天津<港>&"滨海"', "amount": 1234.56, "count": 42, "day": "2026-03-05",
     "moment": "2026-03-05T12:30:00", "open": True, "extra": {"级别": 1}, "tags": ["甲", "乙"]},
    {"name": "控制\x01字符\x1f", "amount": None, "count": 1234567890123456789, "day": None,
     "moment": None, "open": False, "extra": None, "tags": None},
    {"name": None, "amount": -0.5, "count": None, "day": "1899-01-01",
     "moment": None, "open": None, "extra": [1, 2], "tags": []},
]


def _workbook(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def _rows(data: bytes) -> list[tuple]:
    return list(_workbook(data).active.iter_rows(values_only=True))


def _csv(rows) -> str:
    """Return rows as CSV text as PostgreSQL writes it, the page format the
    writer reads."""
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows(rows)
    return text.getvalue()


def _write(pages, header=("a",), types=("int",), max_rows=xlsx.MAX_ROWS, title="数据") -> bytes:
    return b"".join(xlsx.stream_workbook(
        title=title, header=list(header),
        row_batches=xlsx.csv_row_batches(list(types), [_csv(page) for page in pages]),
        truncation_note=lambda rows: "only {} rows".format(rows), max_rows=max_rows,
    ))


class TestWriter:
    def test_archive_is_valid_zip(self):
        data = _write([[[1], [2]]])
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            assert archive.testzip() is None
            assert "xl/worksheets/sheet1.xml" in archive.namelist()

    def test_header_is_first_row(self):
        rows = _write([[[1]]], header=["seq (序号)"])
        assert _rows(rows)[0] == ("seq (序号)",)

    def test_rows_over_limit_end_with_note(self):
        rows = _rows(_write([[[1], [2], [3]], [[4], [5]]], max_rows=4))
        assert rows == [("a",), (1,), (2,), ("only 2 rows",)]

    def test_limit_at_page_end_adds_note(self):
        rows = _rows(_write([[[1], [2], [3]], [[4]]], max_rows=4))
        assert rows == [("a",), (1,), (2,), ("only 2 rows",)]

    def test_rows_at_limit_have_no_note(self):
        rows = _rows(_write([[[1], [2], [3]]], max_rows=4))
        assert rows == [("a",), (1,), (2,), (3,)]

    def test_max_rows_below_minimum_rejected(self):
        with pytest.raises(ValueError, match="at least 3"):
            _write([[[1]]], max_rows=2)

    def test_empty_table_has_header_only(self):
        assert _rows(_write([[]])) == [("a",)]

    def test_long_text_cut_to_excel_limit(self):
        value = "津" * (xlsx.MAX_CELL_LENGTH + 10)
        rows = _rows(_write([[[value]]], types=["text"]))
        assert rows[1][0] == "津" * xlsx.MAX_CELL_LENGTH

    def test_nul_in_text_dropped(self):
        rows = _rows(_write([[["a\x00b"], ["c"]]], types=["text"]))
        assert [row[0] for row in rows[1:]] == ["ab", "c"]

    def test_whitespace_kept(self):
        rows = _rows(_write([[["  前后空格  "], ["x"]]], types=["text"]))
        assert rows[1][0] == "  前后空格  "

    def test_non_finite_numbers_written_as_text(self):
        rows = _rows(_write([[["NaN"], ["-Infinity"], ["1.5"], ["1e+20"]]], types=["float8"]))
        assert [row[0] for row in rows[1:]] == ["NaN", "-Infinity", 1.5, 1e20]

    def test_long_integers_written_as_text(self):
        rows = _rows(_write([[["1234567890123456789"], ["-42"]]], types=["int8"]))
        assert rows[1][0] == "1234567890123456789"
        assert rows[2][0] == -42

    def test_null_becomes_empty_cell(self):
        rows = _rows(_write([[["", "", "", ""], ["x", "1", "2026-01-02", "t"]]],
                            header=["a", "b", "c", "d"], types=["text", "numeric", "date", "bool"]))
        assert rows[1] == (None, None, None, None)
        assert rows[2] == ("x", 1, datetime.datetime(2026, 1, 2), True)

    def test_unparsable_date_kept_as_text(self):
        rows = _rows(_write([[["2026-13-45"], ["2026-01-02"]]], types=["date"]))
        assert rows[1][0] == "2026-13-45"
        assert rows[2][0] == datetime.datetime(2026, 1, 2)

    def test_timestamp_with_offset_kept_as_text(self):
        rows = _rows(_write([[["2026-01-02 03:04:05+08"]]], types=["timestamp"]))
        assert rows[1][0] == "2026-01-02 03:04:05+08"

    def test_sheet_title_made_valid(self):
        title = _workbook(_write([[[1]]], title="'人口/[2026]:*?' 统计表很长很长很长很长很长很长很长很长很长很长很长")).active.title
        assert title.startswith("人口__2026")
        assert len(title) <= xlsx.MAX_TITLE_LENGTH
        assert not set(title) & set("[]:*?/\\")

    def test_empty_title_becomes_data(self):
        assert _workbook(_write([[[1]]], title="???")).active.title == "___"
        assert _workbook(_write([[[1]]], title="''")).active.title == "data"

    def test_streams_before_last_page(self):
        consumed = []

        def pages():
            for page in range(3):
                consumed.append(page)
                yield _csv([[page * 10000 + row, "行%d" % row] for row in range(10000)])

        chunks = xlsx.stream_workbook(
            title="t", header=["a", "b"], row_batches=xlsx.csv_row_batches(["int", "text"], pages()),
            truncation_note=str, chunk_size=1024)
        next(chunks)  # the parts before the sheet
        next(chunks)
        assert consumed == [0]
        data = b"".join(chunks)
        assert consumed == [0, 1, 2]
        assert data


def _typed_table(sysadmin):
    department = factories.Organization()
    topic = factories.Group()
    dataset = create_record(department, topic, "typed-table")
    resource = factories.Resource(package_id=dataset["id"], name="类型表",
                                  url="http://127.0.0.1/typed.csv", format="CSV")
    call_action("datastore_create", context={"user": sysadmin["name"]}, resource_id=resource["id"],
                force=True, fields=TYPED_FIELDS, records=TYPED_RECORDS)
    return resource


@pytest.mark.ckan_config("ckan.plugins", PLUGINS)
@pytest.mark.usefixtures("with_plugins", "clean_db", "clean_redis")
class TestDumpView:
    def _dump(self, app, resource_id, **params):
        url = tk.url_for("datastore.dump", resource_id=resource_id, format="xlsx", **params)
        return app.get(url, status=200)

    def test_cells_typed_from_fields(self, app):
        resource = _typed_table(factories.Sysadmin())
        rows = _rows(self._dump(app, resource["id"]).data)
        assert rows[0] == ("_id", "name (名称)", "amount (金额)", "count", "day (日期)",
                           "moment", "open", "extra", "tags")
        first, second, third = rows[1:]
        assert first[1] == '天津<港>&"滨海"'
        assert first[2] == 1234.56
        assert first[3] == 42
        assert first[4] == datetime.datetime(2026, 3, 5)
        assert first[5] == datetime.datetime(2026, 3, 5, 12, 30)
        assert first[6] is True
        assert first[7] == '{"级别": 1}'
        assert first[8] == '["甲","乙"]'
        assert second[1] == "控制字符"
        assert second[2] is None
        assert second[3] == "1234567890123456789"
        assert second[4] is None
        assert second[6] is False
        assert third[1] is None
        assert third[2] == -0.5
        assert third[4] == "1899-01-01"

    def test_dates_have_date_format(self, app):
        resource = _typed_table(factories.Sysadmin())
        sheet = _workbook(self._dump(app, resource["id"]).data).active
        assert sheet["E2"].is_date
        assert sheet["E2"].number_format == "yyyy-mm-dd"

    @pytest.mark.ckan_config("ckanext.tjportal.downloads.xlsx_max_rows", "3")
    def test_row_limit_note_in_user_language(self, app):
        resource = _typed_table(factories.Sysadmin())
        rows = _rows(self._dump(app, resource["id"]).data)
        assert len(rows) == 3
        assert rows[1][1] == '天津<港>&"滨海"'
        assert "CSV" in rows[2][0]
        assert "1" in rows[2][0]

    @pytest.mark.ckan_config("ckanext.tjportal.downloads.xlsx_max_rows", "4")
    def test_table_at_row_limit_is_whole(self, app):
        resource = _typed_table(factories.Sysadmin())
        rows = _rows(self._dump(app, resource["id"]).data)
        assert len(rows) == 4
        assert rows[3][2] == -0.5

    @pytest.mark.ckan_config("ckanext.tjportal.downloads.xlsx_max_rows", "1")
    def test_row_limit_below_minimum_raised_to_it(self, app):
        resource = _typed_table(factories.Sysadmin())
        assert len(_rows(self._dump(app, resource["id"]).data)) == 3
