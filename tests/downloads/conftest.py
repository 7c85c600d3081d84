"""Fixtures of the downloads plugin's tests: a department with a dataset and
a data service, each backed by a DataStore table with Chinese text, and a
clean Redis."""
from __future__ import annotations

from typing import Any

import pytest

import ckan.plugins.toolkit as tk
from ckan.lib.redis import connect_to_redis
from ckan.tests import factories
from ckan.tests.helpers import call_action

# tjportal_downloads comes before datastore, so that its resource page
# template takes precedence over the datastore plugin's download menu.
PLUGINS = "tjportal tjportal_search scheming_datasets tjportal_downloads datastore tjportal_developer"
PLUGINS_WITHOUT_DEVELOPER = "tjportal tjportal_search scheming_datasets tjportal_downloads datastore"

FIELDS = [
    {"id": "district", "type": "text", "info": {"label": "区县"}},
    {"id": "population", "type": "int", "info": {"label": "常住人口"}},
    {"id": "note", "type": "text"},
]
RECORDS = [
    {"district": "和平区", "population": 355000, "note": "=SUM(A1:A2)"},
    {"district": "河西区", "population": 822000, "note": '含"引号", 逗号'},
    {"district": "滨海新区", "population": 2067000, "note": "第一行\n第二行"},
]


@pytest.fixture
def clean_redis():
    """Delete this site's download and developer keys from the test Redis."""
    redis = connect_to_redis()
    for plugin in ("tjportal_downloads", "tjportal_developer"):
        pattern = "{}:{}:*".format(tk.config["ckan.site_id"], plugin)
        for key in redis.scan_iter(match=pattern):
            redis.delete(key)
    yield redis


def create_record(department: dict[str, Any], topic: dict[str, Any], name: str, **fields: Any) -> dict[str, Any]:
    data = {
        "type": "dataset",
        "name": name,
        "title": "天津市各区常住人口",
        "owner_org": department["id"],
        "groups": [{"name": topic["name"]}],
        "update_frequency": "yearly",
        "open_condition": "unconditional",
        "publish_date": "2024-01-01",
        "update_date": "2026-11-01",
    }
    data.update(fields)
    return call_action("package_create", context={"user": factories.Sysadmin()["name"]}, **data)


def create_table(package: dict[str, Any], name: str = "各区人口", **fields: Any) -> dict[str, Any]:
    """Create a resource with a DataStore table of FIELDS and RECORDS."""
    resource = factories.Resource(package_id=package["id"], name=name,
                                  url="http://127.0.0.1/population.csv", format="CSV", **fields)
    call_action(
        "datastore_create",
        context={"user": factories.Sysadmin()["name"]},
        resource_id=resource["id"],
        force=True,
        fields=FIELDS,
        records=RECORDS,
    )
    return call_action("resource_show", id=resource["id"])


@pytest.fixture
def catalogue(clean_redis):
    """A department with a member, a public dataset, a private dataset and a
    data service, each with a DataStore table."""
    member = factories.UserWithToken()
    department = factories.Organization(
        name="tj-stats", title="天津市统计局",
        users=[{"name": member["name"], "capacity": "member"}],
    )
    topic = factories.Group(name="population", title="人口")
    dataset = create_record(department, topic, "district-population")
    private = create_record(department, topic, "district-population-private",
                            title="内部人口数据", private=True)
    service = create_record(department, topic, "district-population-api",
                            type="dataservice", title="人口查询接口")
    return {
        "department": department,
        "member": member,
        "dataset": dataset,
        "resource": create_table(dataset),
        "private": private,
        "private_resource": create_table(private),
        "service": service,
        "service_resource": create_table(service),
    }
