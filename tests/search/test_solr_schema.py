"""The shipped Solr configset declares every field the portal indexes."""
from __future__ import annotations

import fnmatch
import os
import xml.etree.ElementTree as ET

import pytest

import ckan
from ckan.logic import schema as core_schema
from ckan.tests import factories

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CONFIGSET = os.path.join(ROOT, "solr", "ckan-tjportal", "conf")
CKAN_SCHEMA = os.path.join(os.path.dirname(ckan.__file__), "config", "solr", "schema.xml")


def _schema_fields(path):
    root = ET.parse(path).getroot()
    fields = {f.get("name"): f.get("type") for f in root.iter("field")}
    dynamic = [f.get("name") for f in root.iter("dynamicField")]
    return root, fields, dynamic


def _declared(name, fields, dynamic, allow_catch_all):
    if name in fields:
        return True
    patterns = [p for p in dynamic if allow_catch_all or p != "*"]
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns)


def _indexed_documents():
    from ckan.model import meta

    connection = meta.engine.raw_connection()
    try:
        cursor = connection.cursor()
        cursor.execute("SELECT stored FROM tjportal_search_document")
        return [row[0] for row in cursor.fetchall()]
    finally:
        connection.close()


def test_schema_names_a_version_ckan_accepts():
    from ckan.lib.search import SUPPORTED_SCHEMA_VERSIONS

    root, _, _ = _schema_fields(os.path.join(CONFIGSET, "schema.xml"))
    name = root.get("name")

    assert name.startswith("ckan-")
    assert name.split("-", 1)[1] in SUPPORTED_SCHEMA_VERSIONS


def test_schema_keeps_every_field_of_ckans_schema():
    _, ours, our_dynamic = _schema_fields(os.path.join(CONFIGSET, "schema.xml"))
    _, core, core_dynamic = _schema_fields(CKAN_SCHEMA)

    assert set(core) <= set(ours)
    assert set(core_dynamic) <= set(our_dynamic)


def test_chinese_field_type_used_for_titles_and_text():
    root, fields, _ = _schema_fields(os.path.join(CONFIGSET, "schema.xml"))
    types = {t.get("name"): t for t in root.iter("fieldType")}

    for name in ("title", "notes", "text"):
        field_type = types[fields[name]]
        filters = [f.get("class") for f in field_type.iter("filter")]
        assert "solr.CJKBigramFilterFactory" in filters, name
        assert "solr.CJKWidthFilterFactory" in filters, name


def test_referenced_files_are_shipped():
    root, _, _ = _schema_fields(os.path.join(CONFIGSET, "schema.xml"))
    referenced = set()
    for element in root.iter("filter"):
        for attribute in ("synonyms", "protected", "words"):
            if element.get(attribute):
                referenced.add(element.get(attribute))

    assert referenced
    for name in referenced:
        assert os.path.exists(os.path.join(CONFIGSET, name)), name
    assert os.path.exists(os.path.join(CONFIGSET, "solrconfig.xml"))


@pytest.mark.usefixtures("clean_db", "clean_index", "with_plugins")
def test_every_indexed_field_is_declared():
    """Fields our plugins add must be declared by name or by a specific pattern.

    Fields that stock CKAN indexes may fall through to the catch-all ``*``
    string field, as they do with CKAN's own schema.
    """
    sysadmin = factories.Sysadmin()
    org = factories.Organization()
    group = factories.Group()
    context = {"user": sysadmin["name"], "ignore_auth": True}
    from ckan.tests.helpers import call_action

    for dataset_type in ("dataset", "dataservice"):
        call_action(
            "package_create",
            context=dict(context),
            type=dataset_type,
            title="天津市三级医疗机构基本信息 %s" % dataset_type,
            notes="说明",
            owner_org=org["id"],
            groups=[{"name": group["name"]}],
            tag_string="医院,卫生健康",
            update_frequency="yearly",
            open_condition="conditional",
            open_conditions="需注册开发者",
            record_count=36,
            resource_identifier="TJ-%s-0001" % dataset_type,
            publish_date="2020-01-02",
            update_date="2026-08-20",
            contact_name="市卫健委",
            contact_phone="022-12345678",
            contact_email="contact@example.invalid",
            source_city="天津",
            source_url="https://example.invalid/sjj/1.htm",
            resources=[{"url": "https://example.invalid/a.xls", "format": "XLS", "name": "附件"}],
        )

    _, fields, dynamic = _schema_fields(os.path.join(CONFIGSET, "schema.xml"))
    _, core_fields, _ = _schema_fields(CKAN_SCHEMA)
    core_keys = set(core_fields)
    core_keys.update(core_schema.default_create_package_schema().keys())
    core_keys.update(core_schema.default_show_package_schema().keys())

    documents = _indexed_documents()
    assert len(documents) == 2
    for document in documents:
        for key in document:
            allow_catch_all = key in core_keys
            assert _declared(key, fields, dynamic, allow_catch_all), key
