"""Template helpers of the portal theme.

Every public function here is a template helper. Our own helpers start with
``tjportal_``. The two exceptions, ``get_facet_items_dict`` and
``humanize_entity_type``, are chained onto core helpers of the same name, so
core's templates show our labels without being copied.
"""
from __future__ import annotations

import logging
from typing import Any, Callable, Optional

import ckan.plugins as p
import ckan.plugins.toolkit as tk

from ckanext.tjportal.theme import facets

log = logging.getLogger(__name__)

# The dataset types of the portal's catalogue.
PORTAL_DATASET_TYPES = ("dataset", "dataservice")

# The Chinese site name, the default of ckan.site_title set by the plugin.
PORTAL_SITE_TITLE = "天津市信息资源统一开放平台"

# Names the language switcher shows for each locale, in that locale.
LOCALE_NAMES = {"zh_Hans_CN": "中文", "en": "English"}

# A data-service preview never shows more rows than this.
PREVIEW_ROWS_MAX = 100


def tjportal_site_title() -> str:
    """Return the site title in the user's language.

    When ``ckan.site_title`` is the portal's Chinese name (the default), pages
    in other languages show its translation. Any other configured title is
    shown as configured.
    """
    title = tk.config.get("ckan.site_title")
    if title == PORTAL_SITE_TITLE:
        return tk._("Tianjin Information Resources Open Platform")
    return title


def tjportal_locale_links() -> list[dict[str, Any]]:
    """Return a link to the current page in each offered locale."""
    current = tk.h.lang()
    current_url = tk.h.current_url()
    links = []
    for locale in tk.h.get_available_locales():
        code = locale.short_name
        links.append({
            "code": code,
            "label": LOCALE_NAMES.get(code) or locale.display_name or code,
            "url": tk.h.url_for(current_url, locale=code),
            "active": code == current,
        })
    return links


def _portal_type_filter() -> str:
    return "dataset_type:({})".format(" OR ".join(PORTAL_DATASET_TYPES))


def _catalogue_counts(facet_field: str) -> dict[str, int]:
    """Count the datasets and data services the user may read, per facet value.

    Core's ``group_list`` counts private datasets too, so the counts come
    from ``package_search``, which applies the user's permission labels.
    """
    result = tk.get_action("package_search")({}, {
        "q": "",
        "fq": _portal_type_filter(),
        "rows": 0,
        "facet.field": [facet_field],
        "facet.limit": -1,
        "include_private": True,
    })
    return dict(result.get("facets", {}).get(facet_field, {}))


def _groups_with_counts(
    list_action: str, facet_field: str, limit: Optional[int]
) -> list[dict[str, Any]]:
    counts = _catalogue_counts(facet_field)
    groups = tk.get_action(list_action)({}, {"all_fields": True})
    entries = [
        {
            "name": group["name"],
            "title": group.get("display_name") or group["name"],
            "image_url": group.get("image_display_url") or "",
            "count": counts.get(group["name"], 0),
        }
        for group in groups
    ]
    entries.sort(key=lambda entry: (-entry["count"], entry["title"]))
    return entries[:limit] if limit else entries


def tjportal_topics(limit: Optional[int] = None) -> list[dict[str, Any]]:
    """Return the topics (CKAN groups) with the number of items in each.

    The list is sorted by count, largest first. ``limit`` defaults to
    ``ckanext.tjportal.theme.home_topics``.
    """
    if limit is None:
        limit = tk.config.get("ckanext.tjportal.theme.home_topics")
    return _groups_with_counts("group_list", "groups", limit)


def tjportal_departments(limit: Optional[int] = None) -> list[dict[str, Any]]:
    """Return the departments (CKAN organizations) with their item counts.

    The list is sorted by count, largest first. ``limit`` defaults to
    ``ckanext.tjportal.theme.home_departments``.
    """
    if limit is None:
        limit = tk.config.get("ckanext.tjportal.theme.home_departments")
    return _groups_with_counts("organization_list", "organization", limit)


def tjportal_latest(
    dataset_type: str = "dataset", limit: Optional[int] = None
) -> list[dict[str, Any]]:
    """Return the most recently updated items of one type the user may read."""
    if limit is None:
        limit = tk.config.get("ckanext.tjportal.theme.home_latest")
    result = tk.get_action("package_search")({}, {
        "q": "",
        "fq": "+dataset_type:{}".format(dataset_type),
        "sort": "metadata_modified desc",
        "rows": limit,
        "include_private": True,
    })
    return result["results"]


def _schema_field(dataset_type: str, field_name: str) -> Optional[dict[str, Any]]:
    try:
        schema = tk.get_action("scheming_dataset_schema_show")(
            {}, {"type": dataset_type}
        )
    except tk.ObjectNotFound:
        return None
    for field in schema.get("dataset_fields", []):
        if field.get("field_name") == field_name:
            return field
    return None


def tjportal_choice_label(
    field_name: str, value: str, dataset_type: Optional[str] = None
) -> str:
    """Return the translated label of a choice value of a schema field.

    Without ``dataset_type`` the portal's types are tried in turn. A value
    that no schema defines is returned unchanged.
    """
    types = (dataset_type,) if dataset_type else PORTAL_DATASET_TYPES
    for type_ in types:
        field = _schema_field(type_, field_name)
        if field and field.get("choices"):
            for choice in field["choices"]:
                if choice.get("value") == value:
                    return tk.h.scheming_language_text(choice.get("label", value))
    return value


@tk.chained_helper
def get_facet_items_dict(
    next_helper: Callable[..., list[dict[str, Any]]],
    facet: str,
    search_facets: dict[str, dict[str, Any]],
    limit: Optional[int] = None,
    exclude_active: bool = False,
) -> list[dict[str, Any]]:
    """Return core's facet items, labelled with schema choices where defined.

    Update frequency and open condition are stored as codes such as
    ``monthly``, so the facet lists show the schema's label in the user's
    language instead.
    """
    items = next_helper(facet, search_facets, limit, exclude_active)
    if facet not in facets.CHOICE_FACETS:
        return items
    return [
        dict(item, display_name=tjportal_choice_label(facet, item["name"]))
        for item in items
    ]


def _dataservice_labels() -> dict[str, str]:
    """Return the data-service type's names per purpose of humanize_entity_type.

    Purposes missing here fall back to core's generic text.
    """
    services = tk._("Data services")
    return {
        "add link": tk._("Add data service"),
        "breadcrumb": services,
        "content tab": services,
        "create label": tk._("Create data service"),
        "create title": tk._("Create data service"),
        "edit label": tk._("Edit data service"),
        "facet label": services,
        "main nav": services,
        "no description": tk._("There is no description for this data service."),
        "page title": services,
        "save label": tk._("Save data service"),
        "search placeholder": tk._("Search data services..."),
        "update label": tk._("Update data service"),
        "view label": tk._("View data service"),
    }


@tk.chained_helper
def humanize_entity_type(
    next_helper: Callable[..., Optional[str]],
    entity_type: str,
    object_type: str,
    purpose: str,
) -> Optional[str]:
    """Name the ``dataservice`` type in words, translated, on core's pages."""
    if (entity_type, object_type) == ("package", "dataservice"):
        label = _dataservice_labels().get(purpose)
        if label:
            return label
    return next_helper(entity_type, object_type, purpose)


def _preview_rows() -> int:
    rows = tk.config.get("ckanext.tjportal.theme.preview_rows")
    return max(1, min(int(rows), PREVIEW_ROWS_MAX))


def _first_datastore_result(
    pkg_dict: dict[str, Any], action: str, params: dict[str, Any]
) -> Optional[tuple[dict[str, Any], dict[str, Any]]]:
    """Call a DataStore action on the item's resources with a table, in order.

    Returns the first resource whose call succeeds, with the action's result,
    or None when the user may read no table. ``params`` gets the resource id
    under ``resource_id``.
    """
    if not p.plugin_loaded("datastore"):
        return None
    for resource in pkg_dict.get("resources") or []:
        if not resource.get("datastore_active"):
            continue
        try:
            result = tk.get_action(action)({}, dict(params, resource_id=resource["id"]))
        except (tk.ObjectNotFound, tk.NotAuthorized, tk.ValidationError) as error:
            log.debug("%s failed on resource %s: %s", action, resource["id"], error)
            continue
        return resource, result
    return None


def tjportal_datastore_preview(pkg_dict: dict[str, Any]) -> Optional[dict[str, Any]]:
    """Return the first records of the item's first DataStore resource.

    The result contains ``resource``, ``columns`` (each with ``id`` and a
    ``label`` taken from the data dictionary's ``info.label`` when present),
    ``rows`` (lists of values in column order) and ``total``. Returns None
    when no resource has a DataStore table the user may read.
    """
    found = _first_datastore_result(
        pkg_dict, "datastore_search", {"limit": _preview_rows()})
    if found is None:
        return None
    resource, result = found
    columns = [
        {
            "id": field["id"],
            "label": (field.get("info") or {}).get("label") or field["id"],
        }
        for field in result["fields"]
        if field["id"] != "_id"
    ]
    rows = [
        [record.get(column["id"]) for column in columns]
        for record in result["records"][:_preview_rows()]
    ]
    return {
        "resource": resource,
        "columns": columns,
        "rows": rows,
        "total": result.get("total"),
    }


# DataStore column types (PostgreSQL names, as datastore_info returns them)
# mapped to the type codes of the schemas' data items.
DATASTORE_TYPE_CODES = {
    "text": "text",
    "int2": "int",
    "int4": "int",
    "int8": "int",
    "numeric": "numeric",
    "float4": "numeric",
    "float8": "numeric",
    "date": "date",
    "timestamp": "timestamp",
}


def _data_item_type_labels(dataset_type: str) -> dict[str, str]:
    """Return the translated labels of the data-item types of a schema."""
    field = _schema_field(dataset_type, "data_items") or {}
    for subfield in field.get("repeating_subfields") or []:
        if subfield.get("field_name") == "type":
            return {
                choice["value"]: tk.h.scheming_language_text(choice.get("label"))
                for choice in subfield.get("choices") or []
            }
    return {}


def _datastore_dictionary(pkg_dict: dict[str, Any]) -> Optional[list[dict[str, Any]]]:
    """Return the data dictionary of the item's first readable DataStore table."""
    found = _first_datastore_result(pkg_dict, "datastore_info", {
        "include_meta": False,
        "include_fields_schema": False,
    })
    if found is None:
        return None
    _resource, info = found
    items = []
    for field in info.get("fields") or []:
        field_info = field.get("info") or {}
        items.append({
            "name": field["id"],
            "label": field_info.get("label") or "",
            "type": DATASTORE_TYPE_CODES.get(field.get("type"), field.get("type")),
            "description": field_info.get("notes") or "",
        })
    return items


def tjportal_data_items(pkg_dict: dict[str, Any]) -> Optional[dict[str, Any]]:
    """Return the data items (数据项) to show on a dataset or data-service page.

    The data dictionary of the first DataStore table the user may read takes
    precedence over the item's ``data_items`` field. The result contains
    ``source`` ("datastore" or "data_items") and ``items``, each with
    ``name``, ``label``, ``type`` (translated where the schema names the
    type) and ``description``. Returns None when the item has neither.
    """
    source = "datastore"
    items = _datastore_dictionary(pkg_dict)
    if not items:
        source = "data_items"
        items = [
            dict(item) for item in pkg_dict.get("data_items") or []
            if isinstance(item, dict) and item.get("name")
        ]
    if not items:
        return None
    type_labels = _data_item_type_labels(pkg_dict.get("type") or "dataset")
    for item in items:
        item["type"] = type_labels.get(item.get("type"), item.get("type") or "")
    return {"source": source, "items": items}


def tjportal_selected_topic_names(value: Any) -> list[str]:
    """Return the topic names in a ``groups`` form value.

    The value is a list of names when the form comes back with errors, and a
    list of CKAN group dicts when an existing dataset is edited.
    """
    if not value:
        return []
    if isinstance(value, (str, dict)):
        value = [value]
    names: list[str] = []
    for item in value:
        if isinstance(item, dict):
            name = item.get("name") or item.get("id")
        else:
            name = item
        if name:
            names.append(str(name))
    return names
