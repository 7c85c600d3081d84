"""Index many datasets with one query per table instead of ten per dataset.

``ckan search-index rebuild`` calls ``package_show`` for every dataset, and
``package_dictize`` behind it runs about ten queries per dataset: resources,
tags, groups (with a member count per group), organization and the two
relationship directions. Over a whole catalogue those round trips cost more
than everything else in indexing. :func:`index_packages` reads each of those
tables once for a batch of datasets and hands every row to the same CKAN
dictization functions, so each dataset dict equals ``package_dictize``'s.
From there the steps are CKAN's own: the ``read`` and
``before_resource_show`` plugin hooks of ``package_show``, validation with
the default and the dataset type's show schema, the ``after_dataset_show``
hooks and ``index_package``. ``tests/search/test_bulk.py`` checks that the
documents equal those of ``ckan search-index rebuild``.
"""
from __future__ import annotations

import collections
import copy
import logging
from typing import Any, Iterable, Optional

from sqlalchemy import false, select

import ckan.lib.dictization as d
import ckan.lib.dictization.model_dictize as model_dictize
import ckan.logic as logic
import ckan.model as model
import ckan.plugins as plugins
from ckan.lib import search
from ckan.lib.helpers import helper_functions as h
from ckan.lib.plugins import lookup_package_plugin, plugin_validate
from ckan.logic.schema import default_show_package_schema

log = logging.getLogger(__name__)

# Datasets read per round of queries. Larger batches save little and keep
# more rows in memory.
BATCH_SIZE = 200
# Label of the dataset id column added to the tag and group queries, whose
# tables have no such column. The dicts built from those rows drop it again.
_PACKAGE_KEY = "tjportal_bulk_package_id"


def _grouped(rows: Iterable[Any], key: str) -> dict[str, list[Any]]:
    grouped: dict[str, list[Any]] = collections.defaultdict(list)
    for row in rows:
        grouped[getattr(row, key)].append(row)
    return grouped


class _Batch:
    """The related rows of a batch of datasets, read with one query per table."""

    def __init__(self, packages: list[model.Package]) -> None:
        session = model.Session
        ids = [package.id for package in packages]
        resource_table = model.resource_table
        self.resources = _grouped(
            session.execute(select(resource_table).where(resource_table.c["package_id"].in_(ids))),
            "package_id",
        )

        tag_table, package_tag_table = model.tag_table, model.package_tag_table
        self.tags = _grouped(session.execute(
            select(tag_table, package_tag_table.c["state"],
                   package_tag_table.c["package_id"].label(_PACKAGE_KEY))
            .join(package_tag_table, tag_table.c["id"] == package_tag_table.c["tag_id"])
            .where(package_tag_table.c["package_id"].in_(ids))
        ), _PACKAGE_KEY)

        member_table, group_table = model.member_table, model.group_table
        self.groups = _grouped(session.execute(
            select(group_table, member_table.c["capacity"], member_table.c["table_id"].label(_PACKAGE_KEY))
            .join(member_table, group_table.c["id"] == member_table.c["group_id"])
            .where(member_table.c["table_id"].in_(ids), member_table.c["state"] == "active",
                   group_table.c["is_organization"] == false())
        ), _PACKAGE_KEY)

        org_ids = {package.owner_org for package in packages if package.owner_org}
        self.organizations: dict[str, Any] = {}
        if org_ids:
            rows = session.execute(
                select(group_table).where(group_table.c["id"].in_(org_ids), group_table.c["state"] == "active")
            )
            self.organizations = {row.id: row for row in rows}

        relationship_table = model.package_relationship_table
        self.as_subject = _grouped(
            session.execute(select(relationship_table)
                            .where(relationship_table.c["subject_package_id"].in_(ids))),
            "subject_package_id",
        )
        self.as_object = _grouped(
            session.execute(select(relationship_table)
                            .where(relationship_table.c["object_package_id"].in_(ids))),
            "object_package_id",
        )
        # Dicts of a group as one of a dataset's groups, by group id and
        # the dataset's member capacity; each costs a member count query.
        self._group_dicts: dict[tuple[str, str], dict[str, Any]] = {}

    def group_dicts(self, rows: list[Any], context: dict[str, Any]) -> list[dict[str, Any]]:
        """Return what ``group_list_dictize`` makes of a dataset's group rows."""
        result = []
        for row in rows:
            key = (row.id, row.capacity)
            if key not in self._group_dicts:
                dictized = model_dictize.group_list_dictize([row], context, with_package_counts=False)[0]
                dictized.pop(_PACKAGE_KEY, None)
                self._group_dicts[key] = dictized
            result.append(copy.deepcopy(self._group_dicts[key]))
        return sorted(result, key=lambda x: h.strxfrm(x["display_name"]))


def _dictize(package: model.Package, batch: _Batch, context: dict[str, Any]) -> dict[str, Any]:
    """Return ``package_dictize(package, context)`` from the rows of ``batch``.

    The steps and their order are those of CKAN 2.12's ``package_dictize``.
    """
    result = d.table_dictize(package, context)
    if result.get("title"):
        result["title"] = result["title"].strip()
    result.pop("plugin_data", None)

    result["resources"] = model_dictize.resource_list_dictize(batch.resources.get(package.id, []), context)
    result["num_resources"] = len(result.get("resources", []))

    tags = d.obj_list_dictize(batch.tags.get(package.id, []), context, lambda x: x["name"])
    for tag_dict in tags:
        tag_dict.pop(_PACKAGE_KEY, None)
        tag_dict["display_name"] = tag_dict["name"]
    result["tags"] = tags
    result["num_tags"] = len(tags)

    result["extras"] = [{"key": k, "value": v} for k, v in (result["extras"] or {}).items()]

    context["with_capacity"] = False
    result["groups"] = batch.group_dicts(batch.groups.get(package.id, []), context)

    organization = batch.organizations.get(package.owner_org) if package.owner_org else None
    if organization is not None:
        org_dict = d.obj_list_dictize([organization], context)
        result["organization"] = org_dict[0] if org_dict else None
        if result["organization"] is not None:
            del result["organization"]["extras"]
    else:
        result["organization"] = None

    result["relationships_as_subject"] = d.obj_list_dictize(batch.as_subject.get(package.id, []), context)
    result["relationships_as_object"] = d.obj_list_dictize(batch.as_object.get(package.id, []), context)

    result["isopen"] = package.isopen()
    result["type"] = package.type or "dataset"
    if package.license and package.license.url:
        result["license_url"] = package.license.url
        result["license_title"] = package.license.title.split("::")[-1]
    elif package.license:
        result["license_title"] = package.license.title
    else:
        result["license_title"] = package.license_id
    result["metadata_modified"] = package.metadata_modified.isoformat()
    result["metadata_created"] = package.metadata_created.isoformat() if package.metadata_created else None
    return result


def _show_both_schemas(package: model.Package, batch: _Batch) -> tuple[dict[str, Any], dict[str, Any]]:
    """Do what ``package_show_default_and_custom_schemas`` does, from ``batch``."""
    context = logic.fresh_context({}, ignore_auth=True, use_cache=False, validate=False)
    context["session"] = model.Session
    context["package"] = package
    dictized = _dictize(package, batch, context)

    # package_show's hooks for a dataset read without validation.
    for item in plugins.PluginImplementations(plugins.IPackageController):
        item.read(package)
    for item in plugins.PluginImplementations(plugins.IResourceController):
        for resource_dict in dictized["resources"]:
            item.before_resource_show(resource_dict)

    default_schema = default_show_package_schema()
    with_default, _errors = plugin_validate(object(), context, dictized, default_schema, "package_show")
    package_plugin = lookup_package_plugin(dictized["type"])
    custom_schema = package_plugin.show_package_schema()
    if custom_schema == default_schema:
        with_custom = with_default
    else:
        with_custom, _errors = plugin_validate(package_plugin, context, dictized, custom_schema, "package_show")
    logic.apply_after_dataset_show_plugins(context, with_custom)
    return with_default, with_custom


def index_packages(package_ids: list[str], batch_size: Optional[int] = None) -> int:
    """Index ``package_ids`` without committing; call ``search.commit()`` after.

    Ids of datasets that do not exist are skipped, as they are by
    ``package_show``'s NotFound. Returns the number of datasets indexed.
    """
    size = batch_size or BATCH_SIZE
    indexed = 0
    for offset in range(0, len(package_ids), size):
        chunk = package_ids[offset:offset + size]
        packages = model.Session.query(model.Package).filter(model.Package.id.in_(chunk)).all()
        by_id = {package.id: package for package in packages}
        batch = _Batch(packages)
        for package_id in chunk:
            package = by_id.get(package_id)
            if package is None:
                log.warning("Dataset %s no longer exists; not indexed", package_id)
                continue
            logic.index_update_package_dicts(_show_both_schemas(package, batch), defer_commit=True)
            indexed += 1
        # Keep the session's identity map to one batch.
        model.Session.expunge_all()
    return indexed


def index_share(package_ids: list[str]) -> int:
    """Index ``package_ids`` and write their documents."""
    count = index_packages(package_ids)
    search.commit()
    model.Session.commit()
    return count
