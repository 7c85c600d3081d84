"""Tests of ``ckan tjportal load-demo`` and the catalogue loader."""
from __future__ import annotations

import json
import pathlib

import pytest
from sqlalchemy import orm

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.cli.cli import ckan
from ckan.tests.helpers import call_action
from ckanext.datastore.backend.postgres import get_write_engine
from ckanext.datastore.tests.helpers import clear_db as clear_datastore_db

pytestmark = [
    pytest.mark.usefixtures("with_plugins", "clean_db", "clean_datastore"),
]

DEPARTMENTS = """slug,name_zh,name_en,kind,source_url
tj-health,天津市卫生健康委员会,Tianjin Municipal Health Commission,component-department,https://wsjk.tj.gov.cn/
tj-statistics,天津市统计局,Tianjin Municipal Bureau of Statistics,component-department,https://stats.tj.gov.cn/
Bad Slug,坏部门,Bad,other,https://example.org/
"""

TOPICS = """slug,name_zh,name_en,description_zh,source_url
health,医疗卫生,Health,医疗机构和健康统计数据。,https://example.org/topics
geospatial,地理空间,Geospatial,行政区划等空间数据。,https://example.org/topics
"""

GOOD_RECORD = {
    "title_zh": "三级医疗机构基本信息", "kind": "dataset", "department_slug": "tj-health",
    "topic_slug": "health", "update_frequency": "yearly", "open_condition": "unconditional",
    "formats": ["xls", "csv"], "record_count": 36, "published": "2019-03-01",
    "updated": "2026-08-20", "keywords_zh": ["医院", "卫生健康"], "fields": [],
    "description_zh": "三级医疗机构名录。", "city": "天津",
    "source_url": "https://open.data.tj.gov.cn/sjj/1be22c6e.htm",
}
API_RECORD = dict(
    GOOD_RECORD, title_zh="医保定点查询接口", kind="api", open_condition="conditional",
    formats=[], record_count=None, published=None, updated=None,
    source_url="https://open.data.tj.gov.cn/sjjk/addbe9f2.htm")

TABLE_CSV = """district_code,name_zh,area_km2,pop_census_2020
120101,和平区,9.97,355000
120102,河东区,39.0,858787
120103,河西区,,822174
"""
TABLE_META = {
    "title_zh": "天津市各区面积和人口",
    "department_slug": "tj-statistics",
    "topic_slug": "geospatial",
    "fields": [
        {"name": "district_code", "label_zh": "区划代码", "type": "text"},
        {"name": "name_zh", "label_zh": "区名称", "type": "text",
         "description_zh": "区的中文名称"},
        {"name": "area_km2", "label_zh": "面积（平方千米）", "type": "numeric"},
        {"name": "pop_census_2020", "label_zh": "2020年常住人口", "type": "int"},
    ],
    "source_url": ["https://example.org/census", "https://example.org/areas"],
}


@pytest.fixture
def clean_datastore(clean_db):
    session = orm.scoped_session(orm.sessionmaker(bind=get_write_engine()))
    clear_datastore_db(session)


def _write_catalogue(folder: pathlib.Path, records: list[str]) -> pathlib.Path:
    (folder / "tables").mkdir(parents=True)
    (folder / "departments.csv").write_text(DEPARTMENTS, encoding="utf-8")
    (folder / "topics.csv").write_text(TOPICS, encoding="utf-8")
    (folder / "datasets.jsonl").write_text("\n".join(records) + "\n", encoding="utf-8")
    (folder / "tables" / "tj_districts.csv").write_text(TABLE_CSV, encoding="utf-8")
    (folder / "tables" / "tj_districts.meta.json").write_text(
        json.dumps(TABLE_META, ensure_ascii=False), encoding="utf-8")
    return folder


@pytest.fixture
def catalogue(tmp_path):
    bad_records = [
        '{"title_zh": "坏行", ',
        json.dumps(dict(GOOD_RECORD, title_zh="未知部门", department_slug="tj-nowhere")),
        json.dumps(dict(GOOD_RECORD, title_zh="未知主题", topic_slug="no-topic")),
        json.dumps(dict(GOOD_RECORD, title_zh="错误频率", update_frequency="hourly")),
        json.dumps(dict(GOOD_RECORD, title_zh="错误类型", kind="table")),
    ]
    records = [
        json.dumps(GOOD_RECORD, ensure_ascii=False),
        json.dumps(API_RECORD, ensure_ascii=False),
    ] + bad_records
    return _write_catalogue(tmp_path / "tj-catalog", records)


def _load(cli, path):
    return cli.invoke(ckan, ["tjportal", "load-demo", str(path)])


def _active_count(package_type):
    return model.Session.query(model.Package).filter(
        model.Package.type == package_type,
        model.Package.state == "active").count()


class TestLoadDemo:
    def test_good_rows_load_despite_bad_ones(self, cli, catalogue):
        result = _load(cli, catalogue)

        assert result.exit_code == 1, result.output
        dataset = call_action("package_show", id="san-ji-yi-liao-ji-gou-ji-ben-xin-xi")
        assert dataset["type"] == "dataset"
        assert dataset["update_frequency"] == "yearly"
        assert dataset["record_count"] == 36
        assert dataset["publish_date"] == "2019-03-01"
        assert dataset["update_date"] == "2026-08-20"
        assert dataset["source_city"] == "天津"
        assert dataset["source_url"] == GOOD_RECORD["source_url"]
        assert [group["name"] for group in dataset["groups"]] == ["health"]
        assert sorted(tag["name"] for tag in dataset["tags"]) == ["医院", "卫生健康"]
        assert sorted(r["format"] for r in dataset["resources"]) == ["CSV", "XLS"]
        assert {r["url"] for r in dataset["resources"]} == {GOOD_RECORD["source_url"]}

    def test_api_record_becomes_data_service(self, cli, catalogue):
        _load(cli, catalogue)

        service = call_action("package_show", id="yi-bao-ding-dian-cha-xun-jie-kou")
        assert service["type"] == "dataservice"
        assert service["open_condition"] == "conditional"
        assert service["open_conditions"]
        assert service["resources"] == []
        assert "publish_date" not in service
        assert "record_count" not in service

    def test_departments_and_topics_created(self, cli, catalogue):
        _load(cli, catalogue)

        department = call_action("organization_show", id="tj-health")
        assert department["title"] == "天津市卫生健康委员会"
        extras = {extra["key"]: extra["value"] for extra in department["extras"]}
        assert extras["name_en"] == "Tianjin Municipal Health Commission"
        assert extras["kind"] == "component-department"
        assert extras["source_url"] == "https://wsjk.tj.gov.cn/"
        topic = call_action("group_show", id="health")
        assert topic["title"] == "医疗卫生"
        assert topic["description"] == "医疗机构和健康统计数据。"

    def test_bad_rows_reported_with_line_and_reason(self, cli, catalogue):
        result = _load(cli, catalogue)

        assert "departments.csv, line 4: name:" in result.output
        assert "datasets.jsonl, line 3: invalid JSON" in result.output
        assert 'datasets.jsonl, line 4: unknown department "tj-nowhere"' in result.output
        assert 'datasets.jsonl, line 5: unknown topic "no-topic"' in result.output
        assert "datasets.jsonl, line 6: update_frequency:" in result.output
        assert 'datasets.jsonl, line 7: invalid kind "table"' in result.output

    def test_summary_counts(self, cli, catalogue):
        result = _load(cli, catalogue)

        assert "departments.csv: 2 loaded, 0 updated, 1 failed" in result.output
        assert "topics.csv: 2 loaded, 0 updated, 0 failed" in result.output
        assert "datasets.jsonl: 2 loaded, 0 updated, 5 failed" in result.output
        assert "tables: 1 loaded, 0 updated, 0 failed" in result.output
        assert "Total: 7 loaded, 0 updated, 6 failed" in result.output

    def test_rerun_updates_without_duplicates(self, cli, catalogue):
        _load(cli, catalogue)
        first_ids = {
            name: call_action("package_show", id=name)["id"]
            for name in ("san-ji-yi-liao-ji-gou-ji-ben-xin-xi", "tj-districts")}

        result = _load(cli, catalogue)

        assert result.exit_code == 1
        assert "datasets.jsonl: 0 loaded, 2 updated, 5 failed" in result.output
        assert "tables: 0 loaded, 1 updated, 0 failed" in result.output
        assert "Total: 0 loaded, 7 updated, 6 failed" in result.output
        # The record and the dataset copy of tj_districts.
        assert _active_count("dataset") == 2
        assert _active_count("dataservice") == 2
        for name, package_id in first_ids.items():
            assert call_action("package_show", id=name)["id"] == package_id
        table = call_action("package_show", id="tj-districts")
        assert len(table["resources"]) == 1
        rows = call_action("datastore_search", resource_id=table["resources"][0]["id"])
        assert rows["total"] == 3

    def test_rerun_keeps_resource_ids(self, cli, catalogue):
        _load(cli, catalogue)
        before = call_action("package_show", id="san-ji-yi-liao-ji-gou-ji-ben-xin-xi")

        _load(cli, catalogue)

        after = call_action("package_show", id="san-ji-yi-liao-ji-gou-ji-ben-xin-xi")
        assert sorted(r["id"] for r in after["resources"]) == sorted(
            r["id"] for r in before["resources"])

    def test_record_with_same_title_elsewhere_gets_own_name(self, cli, tmp_path):
        other = dict(GOOD_RECORD, department_slug="tj-statistics")
        folder = _write_catalogue(tmp_path / "cat", [
            json.dumps(GOOD_RECORD, ensure_ascii=False),
            json.dumps(other, ensure_ascii=False)])

        first = _load(cli, folder)
        second = _load(cli, folder)

        assert first.exit_code == 1  # only the bad department row fails
        assert "datasets.jsonl: 2 loaded, 0 updated, 0 failed" in first.output
        assert "datasets.jsonl: 0 loaded, 2 updated, 0 failed" in second.output
        renamed = call_action("package_show", id="san-ji-yi-liao-ji-gou-ji-ben-xin-xi-2")
        assert renamed["organization"]["name"] == "tj-statistics"

    def test_table_becomes_datastore_service(self, cli, catalogue):
        _load(cli, catalogue)

        service = call_action("package_show", id="tj-districts")
        assert service["type"] == "dataservice"
        assert service["title"] == "天津市各区面积和人口"
        assert service["record_count"] == 3
        assert service["source_url"] == "https://example.org/census"
        assert "https://example.org/areas" in service["notes"]
        resource = service["resources"][0]
        assert resource["datastore_active"] is True
        info = call_action("datastore_info", id=resource["id"])
        fields = {field["id"]: field for field in info["fields"]}
        assert fields["name_zh"]["info"] == {"label": "区名称", "notes": "区的中文名称"}
        assert fields["district_code"]["info"]["label"] == "区划代码"
        assert fields["pop_census_2020"]["type"] == "int4"
        rows = call_action("datastore_search", resource_id=resource["id"],
                           sort="district_code")["records"]
        assert rows[0]["district_code"] == "120101"
        assert rows[2]["area_km2"] is None

    def test_table_also_becomes_dataset(self, cli, catalogue):
        _load(cli, catalogue)
        _load(cli, catalogue)

        dataset = call_action("package_show", id="tj-districts-dataset")
        assert dataset["type"] == "dataset"
        assert dataset["title"] == "天津市各区面积和人口"
        assert len(dataset["resources"]) == 1
        resource = dataset["resources"][0]
        assert resource["datastore_active"] is True
        assert resource["format"] == "CSV"
        rows = call_action("datastore_search", resource_id=resource["id"])
        assert rows["total"] == 3
        info = call_action("datastore_info", id=resource["id"])
        labels = {field["id"]: field["info"]["label"] for field in info["fields"]}
        assert labels["district_code"] == "区划代码"

    def test_table_with_mismatched_header_fails(self, cli, catalogue):
        meta = dict(TABLE_META, fields=TABLE_META["fields"][:2])
        (catalogue / "tables" / "tj_districts.meta.json").write_text(
            json.dumps(meta, ensure_ascii=False), encoding="utf-8")

        result = _load(cli, catalogue)

        assert "tables/tj_districts.csv, line 1: CSV header" in result.output
        assert "tables: 0 loaded, 0 updated, 1 failed" in result.output

    def test_clean_catalogue_exits_zero(self, cli, tmp_path):
        folder = _write_catalogue(tmp_path / "cat", [json.dumps(GOOD_RECORD)])
        departments = folder / "departments.csv"
        departments.write_text(DEPARTMENTS.replace(
            "Bad Slug,坏部门,Bad,other,https://example.org/\n", ""), encoding="utf-8")

        result = _load(cli, folder)

        assert result.exit_code == 0, result.output
        assert "Total: 6 loaded, 0 updated, 0 failed" in result.output

    def test_missing_folder_fails(self, cli, tmp_path):
        result = _load(cli, tmp_path / "absent")

        assert result.exit_code != 0
        assert "Catalogue folder not found" in result.output
        assert _active_count("dataset") == 0

    def test_missing_file_reported(self, cli, catalogue):
        (catalogue / "topics.csv").unlink()

        result = _load(cli, catalogue)

        assert result.exit_code == 1
        assert "topics.csv: file or folder not found" in result.output
        assert 'unknown topic "health"' in result.output
        assert call_action("organization_show", id="tj-health")["title"] == "天津市卫生健康委员会"


RECORD_FIELDS = [
    {"name": "name", "label_zh": "名称", "type": "text"},
    {"name": "bed_count", "label_zh": "床位数", "type": "int",
     "description_zh": "核定床位"},
]


class TestDataItems:
    def test_record_fields_become_data_items(self, cli, tmp_path):
        record = dict(GOOD_RECORD, fields=RECORD_FIELDS)
        folder = _write_catalogue(tmp_path / "cat", [json.dumps(record, ensure_ascii=False)])

        _load(cli, folder)

        dataset = call_action("package_show", id="san-ji-yi-liao-ji-gou-ji-ben-xin-xi")
        assert dataset["data_items"] == [
            {"name": "name", "label": "名称", "type": "text"},
            {"name": "bed_count", "label": "床位数", "type": "int",
             "description": "核定床位"},
        ]

    def test_rerun_replaces_data_items(self, cli, tmp_path):
        record = dict(GOOD_RECORD, fields=RECORD_FIELDS)
        folder = _write_catalogue(tmp_path / "cat", [json.dumps(record, ensure_ascii=False)])
        _load(cli, folder)
        record["fields"] = RECORD_FIELDS[:1]
        (folder / "datasets.jsonl").write_text(
            json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")

        _load(cli, folder)

        dataset = call_action("package_show", id="san-ji-yi-liao-ji-gou-ji-ben-xin-xi")
        assert [item["name"] for item in dataset["data_items"]] == ["name"]

    def test_invalid_field_type_reported(self, cli, tmp_path):
        record = dict(GOOD_RECORD, fields=[{"name": "x", "label_zh": "某列", "type": "blob"}])
        folder = _write_catalogue(tmp_path / "cat", [json.dumps(record, ensure_ascii=False)])

        result = _load(cli, folder)

        assert "datasets.jsonl, line 1: data_items:" in result.output
        assert "datasets.jsonl: 0 loaded, 0 updated, 1 failed" in result.output

    def test_fields_not_a_list_reported(self, cli, tmp_path):
        record = dict(GOOD_RECORD, fields="name,address")
        folder = _write_catalogue(tmp_path / "cat", [json.dumps(record, ensure_ascii=False)])

        result = _load(cli, folder)

        assert "datasets.jsonl, line 1: fields must be a list of JSON objects" in result.output


class TestStableKey:
    def _retitle(self, folder, records, index, title):
        records = [dict(record) for record in records]
        records[index]["title_zh"] = title
        copy = folder.parent / ("%s-retitled" % folder.name)
        _write_catalogue(copy, [json.dumps(r, ensure_ascii=False) for r in records])
        return copy

    def test_retitled_record_updates_dataset(self, cli, tmp_path):
        records = [GOOD_RECORD, API_RECORD]
        folder = _write_catalogue(
            tmp_path / "cat", [json.dumps(r, ensure_ascii=False) for r in records])
        _load(cli, folder)
        before = call_action("package_show", id="san-ji-yi-liao-ji-gou-ji-ben-xin-xi")
        counts = (_active_count("dataset"), _active_count("dataservice"))

        result = _load(cli, self._retitle(folder, records, 0, "三级医院名录"))

        assert "datasets.jsonl: 0 loaded, 2 updated, 0 failed" in result.output
        assert (_active_count("dataset"), _active_count("dataservice")) == counts
        after = call_action("package_show", id=before["id"])
        assert after["title"] == "三级医院名录"
        assert after["name"] == before["name"]
        assert sorted(r["id"] for r in after["resources"]) == sorted(
            r["id"] for r in before["resources"])

    def test_retitled_data_service_updates_it(self, cli, tmp_path):
        records = [GOOD_RECORD, API_RECORD]
        folder = _write_catalogue(
            tmp_path / "cat", [json.dumps(r, ensure_ascii=False) for r in records])
        _load(cli, folder)
        before = call_action("package_show", id="yi-bao-ding-dian-cha-xun-jie-kou")

        _load(cli, self._retitle(folder, records, 1, "医保定点机构查询"))

        assert _active_count("dataservice") == 2  # the record and tj_districts
        assert call_action("package_show", id=before["id"])["title"] == "医保定点机构查询"

    def test_deleted_dataset_restored_after_retitle(self, cli, tmp_path):
        records = [GOOD_RECORD]
        folder = _write_catalogue(tmp_path / "cat", [json.dumps(GOOD_RECORD, ensure_ascii=False)])
        _load(cli, folder)
        dataset = call_action("package_show", id="san-ji-yi-liao-ji-gou-ji-ben-xin-xi")
        call_action("package_delete", id=dataset["id"])

        _load(cli, self._retitle(folder, records, 0, "三级医院名录"))

        restored = call_action("package_show", id=dataset["id"])
        assert restored["state"] == "active"
        assert restored["title"] == "三级医院名录"
        assert _active_count("dataset") == 2  # the record and tj-districts-dataset

    def test_shared_source_url_falls_back_to_title(self, cli, tmp_path):
        # The address does not identify either of two records that cite it,
        # so each keeps its own dataset, found by department and title.
        records = [GOOD_RECORD, dict(GOOD_RECORD, title_zh="二级医疗机构基本信息")]
        folder = _write_catalogue(
            tmp_path / "cat", [json.dumps(r, ensure_ascii=False) for r in records])

        _load(cli, folder)
        second = _load(cli, folder)

        assert "datasets.jsonl: 0 loaded, 2 updated, 0 failed" in second.output
        titles = sorted(
            call_action("package_show", id=name)["title"]
            for name in ("san-ji-yi-liao-ji-gou-ji-ben-xin-xi",
                         "er-ji-yi-liao-ji-gou-ji-ben-xin-xi"))
        assert titles == ["三级医疗机构基本信息", "二级医疗机构基本信息"]

    def test_table_with_same_source_url_untouched(self, cli, tmp_path):
        record = dict(GOOD_RECORD, source_url="https://example.org/census")
        folder = _write_catalogue(tmp_path / "cat", [json.dumps(record, ensure_ascii=False)])

        _load(cli, folder)
        _load(cli, self._retitle(folder, [record], 0, "三级医院名录"))

        assert call_action("package_show", id="tj-districts")["title"] == "天津市各区面积和人口"
        assert call_action("package_show", id="san-ji-yi-liao-ji-gou-ji-ben-xin-xi")[
            "title"] == "三级医院名录"
