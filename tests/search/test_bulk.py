"""Batch indexing (``ckan tjportal-search rebuild``) writes the same documents
as CKAN's own ``ckan search-index rebuild``."""
from __future__ import annotations

import json

import pytest

import ckan.lib.search as search
import ckan.model as model
from ckan.tests import factories
from ckan.tests.helpers import call_action

from ckanext.tjportal.search import bulk
from ckanext.tjportal.search.backend import connection

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")

# Fields holding the dataset dicts as JSON text.
JSON_FIELDS = ("data_dict", "validated_data_dict")


def _create(context, **fields):
    data = {
        "type": "dataset",
        "title": "三级医疗机构基本信息",
        "notes": "市卫生健康委发布的三级医疗机构名录。",
        "tag_string": "医院,卫生健康",
        "update_frequency": "monthly",
        "open_condition": "unconditional",
        "record_count": "36",
        "publish_date": "2019-03-01",
        "resources": [{"url": "https://example.invalid/hospitals.xls", "name": "名录", "format": "XLS"}],
    }
    data.update(fields)
    return call_action("package_create", context=dict(context), **data)


@pytest.fixture
def catalogue():
    """Datasets that cover every part of package_dictize: resources (one
    deleted, one uploaded), keywords and a vocabulary tag, several topics,
    departments, a private and a draft dataset and free extras outside the
    schema. (CKAN 2.12's own indexing fails on dataset relationships, so
    there are none.)"""
    sysadmin = factories.Sysadmin()
    context = {"user": sysadmin["name"]}
    health = factories.Organization(name="tj-health", title="天津市卫生健康委员会")
    transport = factories.Organization(name="tj-transport", title="天津市交通运输委员会")
    factories.Group(name="health", title="医疗卫生")
    factories.Group(name="transport", title="交通出行")

    ids = []
    first = _create(context, owner_org=health["id"], groups=[{"name": "health"}, {"name": "transport"}])
    ids.append(first["id"])
    service = _create(context, type="dataservice", title="公交线路查询接口", owner_org=transport["id"],
                      groups=[{"name": "transport"}], update_frequency="daily", resources=[])
    ids.append(service["id"])
    private = _create(context, title="内部医院名录", owner_org=health["id"], private=True,
                      groups=[{"name": "health"}])
    ids.append(private["id"])
    draft = _create(context, title="草稿数据集", owner_org=transport["id"], state="draft",
                    groups=[{"name": "transport"}])
    ids.append(draft["id"])
    many = _create(context, title="地铁站点出入口", owner_org=transport["id"],
                   groups=[{"name": "transport"}], resources=[
        {"url": "https://example.invalid/a.csv", "name": "出入口", "format": "CSV"},
        {"url": "https://example.invalid/b.json", "name": "站点", "format": "JSON",
         "description": "站点坐标"},
        {"url": "https://example.invalid/c.xml", "name": "旧版", "format": "XML"},
    ])
    ids.append(many["id"])
    call_action("resource_delete", context=dict(context), id=many["resources"][2]["id"])
    uploaded = factories.Resource(package_id=first["id"], url="hospitals.csv", url_type="upload",
                                  name="上传文件", format="CSV")
    assert uploaded["url_type"] == "upload"

    vocabulary = call_action("vocabulary_create", context=dict(context), name="districts",
                             tags=[{"name": "和平区"}])
    package = model.Package.get(many["id"])
    tag = model.Tag.by_name("和平区", vocab=model.Vocabulary.get(vocabulary["id"]))
    model.Session.add(model.PackageTag(package=package, tag=tag))
    package.extras = {"legacy_source": "上海市", "harvest_object": "42"}
    model.Session.commit()
    return ids


@pytest.fixture
def captured(monkeypatch):
    """Collect the documents handed to the search connection."""
    collected: list[dict] = []

    def add(self, docs=(), commit=True, **kwargs):
        collected.extend(json.loads(json.dumps(doc, default=str)) for doc in docs)
        return ""

    monkeypatch.setattr(connection.PostgresSearchConnection, "add", add)
    return collected


def _by_id(docs):
    result = {}
    for doc in docs:
        doc = dict(doc)
        for name in JSON_FIELDS:
            doc[name] = json.loads(doc[name])
        result[doc["id"]] = doc
    return result


def test_documents_equal_those_of_ckan_rebuild(catalogue, captured):
    # Both read the datasets from the database, as a rebuild in a new
    # process does, not from objects the fixture left in the session (whose
    # extras keep the order they were set in, not the database's).
    model.Session.expunge_all()
    search.rebuild(package_ids=catalogue, defer_commit=True, quiet=True)
    expected = _by_id(captured)
    captured.clear()
    model.Session.expunge_all()

    # Batches of two split the datasets across three rounds of queries.
    assert bulk.index_packages(catalogue, batch_size=2) == len(catalogue)
    actual = _by_id(captured)

    assert set(actual) == set(expected) == set(catalogue)
    for package_id in catalogue:
        assert actual[package_id] == expected[package_id], expected[package_id]["title"]
    # The catalogue does reach the parts of package_dictize it is meant to.
    many = next(doc for doc in expected.values() if doc["title"] == "地铁站点出入口")
    assert many["vocab_districts"] == ["和平区"]
    assert many["extras_legacy_source"] == "上海市"
    assert len(many["data_dict"]["resources"]) == 2
    first = next(doc for doc in expected.values() if doc["title"] == "三级医疗机构基本信息")
    assert sorted(first["groups"]) == ["health", "transport"]


def test_missing_datasets_are_skipped(catalogue, captured):
    assert bulk.index_packages(catalogue[:2] + ["no-such-dataset-id"]) == 2
    assert {doc["id"] for doc in captured} == set(catalogue[:2])


def test_rebuild_keeps_private_datasets_private(catalogue, cli):
    from ckan.cli.cli import ckan

    search.clear_all()
    result = cli.invoke(ckan, ["tjportal-search", "rebuild", "--workers", "1"])
    assert result.exit_code == 0, result.output

    def titles(user, q):
        result = call_action("package_search", context={"ignore_auth": False, "user": user},
                             q=q, include_private=True)
        return sorted(d["title"] for d in result["results"])

    assert titles("", "*:*") == ["三级医疗机构基本信息", "公交线路查询接口", "地铁站点出入口"]
    assert titles("", "内部") == []
    sysadmin = model.Session.query(model.User).filter(model.User.sysadmin.is_(True)).first()
    assert titles(sysadmin.name, "内部") == ["内部医院名录"]
