"""Fixtures of the developer plugin's tests: a department with a data service
backed by a DataStore table, developers, and a clean Redis."""
from __future__ import annotations

from typing import Any

import pytest

import ckan.plugins.toolkit as tk
from ckan.lib.redis import connect_to_redis
from ckan.tests import factories
from ckan.tests.helpers import call_action

from .helpers import RECORDS, registration

@pytest.fixture
def clean_redis():
    """Delete this site's developer keys from the test Redis database."""
    redis = connect_to_redis()
    pattern = "{}:tjportal_developer:*".format(tk.config["ckan.site_id"])
    for key in redis.scan_iter(match=pattern):
        redis.delete(key)
    yield redis


def _service(department: dict[str, Any], topic: dict[str, Any], name: str, **fields: Any) -> dict[str, Any]:
    data = {
        "type": "dataservice",
        "name": name,
        "title": "公交线路查询接口",
        "owner_org": department["id"],
        "groups": [{"name": topic["name"]}],
        "update_frequency": "daily",
        "open_condition": "unconditional",
        "publish_date": "2024-01-01",
        "update_date": "2026-11-01",
    }
    data.update(fields)
    return call_action("package_create", context={"user": factories.Sysadmin()["name"]}, **data)


def _datastore_resource(package: dict[str, Any], name: str) -> dict[str, Any]:
    resource = factories.Resource(package_id=package["id"], name=name, url_type="datastore")
    call_action(
        "datastore_create",
        context={"user": factories.Sysadmin()["name"]},
        resource_id=resource["id"],
        force=True,
        fields=[{"id": "line", "type": "text"}, {"id": "stops", "type": "int"}],
        records=[{"line": "{}路".format(number), "stops": number} for number in range(1, RECORDS + 1)],
    )
    return resource


@pytest.fixture
def catalogue(clean_redis):
    """A department with an editor and a member, a data service and a plain
    dataset, each with a DataStore table."""
    editor = factories.UserWithToken()
    member = factories.UserWithToken()
    department = factories.Organization(
        name="tj-transport",
        title="天津市交通运输委员会",
        users=[{"name": editor["name"], "capacity": "editor"}, {"name": member["name"], "capacity": "member"}],
    )
    topic = factories.Group(name="transport", title="交通出行")
    service = _service(department, topic, "bus-lines")
    resource = _datastore_resource(service, "公交线路")
    dataset = _service(department, topic, "bus-stops-file", type="dataset", title="公交站点文件")
    dataset_resource = _datastore_resource(dataset, "站点")
    return {
        "department": department,
        "editor": editor,
        "member": member,
        "service": service,
        "resource": resource,
        "dataset": dataset,
        "dataset_resource": dataset_resource,
    }


@pytest.fixture
def developer():
    """An approved developer with its token (auto-approve is on by default)."""
    user = factories.User()
    result = call_action("tjportal_developer_register", context={"user": user["name"]}, **registration())
    return {"user": user, "developer": result, "token": result["token"]}
