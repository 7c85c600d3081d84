"""The API page of a data service: its documentation (接口文档) and the test
console (在线测试) that runs ``datastore_search`` as the logged-in developer.

The console calls the same chained ``datastore_search`` action as the Action
API, with ``api_version`` in the context, so the call is metered and counted
against the developer's daily quota exactly like a call made with the token.
"""
from __future__ import annotations

import json
import logging
import time
from typing import Any, Optional, Union
from urllib.parse import urlencode

from flask import Blueprint, Response

import ckan.plugins.toolkit as tk
from ckan.common import json as api_json
from ckan.types import Context

from ckanext.tjportal.developer import metering

log = logging.getLogger(__name__)

tjportal_developer_api = Blueprint("tjportal_developer_api", __name__)

SEARCH_PATH = "/api/3/action/datastore_search"
CONSOLE_LIMIT_MAX = 100
CONSOLE_LIMIT_DEFAULT = 10
SORT_DIRECTIONS = ("asc", "desc")
# Form field names of the console's per-field filters are this prefix plus
# the DataStore field id.
FILTER_PREFIX = "filter."

# Field types are shown by PostgreSQL's standard type names, because
# datastore_info reports internal names such as int4 and float8 while a data
# dictionary's type_override may use aliases such as int and float.
POSTGRESQL_TYPE_NAMES = {
    "int": "integer",
    "int2": "smallint",
    "int4": "integer",
    "int8": "bigint",
    "float": "double precision",
    "float4": "real",
    "float8": "double precision",
    "bool": "boolean",
    "varchar": "character varying",
    "bpchar": "character",
    "timestamptz": "timestamp with time zone",
    "timetz": "time with time zone",
}
# The DataStore creates ``_id`` as a serial column, which is an integer.
ROW_ID_TYPE = "integer"


def _context() -> Context:
    return {"user": tk.current_user.name, "auth_user_obj": tk.current_user}  # type: ignore[typeddict-item]


def _load_service(id: str) -> dict[str, Any]:
    """Return the data service the user may read, or abort with 404."""
    try:
        package = tk.get_action("package_show")(_context(), {"id": id})
    except (tk.ObjectNotFound, tk.NotAuthorized):
        # Private data services are reported as missing to those who may not
        # read them, so their names do not leak.
        return tk.abort(404, tk._("Data service not found"))
    if package.get("type") != metering.DATASERVICE_TYPE:
        return tk.abort(404, tk._("Data service not found"))
    return package


def _datastore_resource(package: dict[str, Any]) -> Optional[dict[str, Any]]:
    for resource in package.get("resources") or []:
        if resource.get("datastore_active"):
            return resource
    return None


def postgresql_type_name(datastore_type: str) -> str:
    """Return PostgreSQL's standard name of a DataStore column type.

    Array types, which PostgreSQL reports with a leading underscore
    (``_text``), are written with brackets (``text[]``).
    """
    name = datastore_type.strip().lower()
    if name.startswith("_"):
        return postgresql_type_name(name[1:]) + "[]"
    return POSTGRESQL_TYPE_NAMES.get(name, name)


def _dictionary(resource_id: str) -> list[dict[str, Any]]:
    """Return the fields of the resource's data dictionary, without ``_id``.

    Each field has ``id``, ``type``, ``label`` and ``notes``; ``label`` and
    ``notes`` come from the dictionary's ``info`` and may be empty.
    """
    info = tk.get_action("datastore_info")({"ignore_auth": True}, {"id": resource_id})
    fields = []
    for field in info.get("fields") or []:
        if field["id"] == "_id":
            continue
        details = field.get("info") or {}
        fields.append({
            "id": field["id"],
            "type": postgresql_type_name(details.get("type_override") or field.get("type", "")),
            "label": details.get("label") or "",
            "notes": details.get("notes") or "",
        })
    return fields


def _rows_max() -> int:
    return tk.config.get("ckan.datastore.search.rows_max")


def _endpoint_url() -> str:
    return tk.config["ckan.site_url"].rstrip("/") + SEARCH_PATH


def _samples(resource_id: str, fields: list[dict[str, Any]], header: str) -> dict[str, str]:
    """Build ready-to-run calls in curl, Python requests and JavaScript fetch."""
    url = _endpoint_url()
    body: dict[str, Any] = {"resource_id": resource_id, "limit": 5}
    if fields:
        body["sort"] = "{} asc".format(fields[0]["id"])
    query = urlencode(body)
    body_json = json.dumps(body, ensure_ascii=False)
    token = "YOUR_DEVELOPER_TOKEN"

    curl = (
        'curl -G "{url}" \\\n'
        '  -H "{header}: {token}" \\\n'
        '{data}'
    ).format(url=url, header=header, token=token, data=" \\\n".join(
        "  --data-urlencode {}".format(json.dumps("{}={}".format(key, value), ensure_ascii=False))
        for key, value in body.items()
    ))
    curl_post = (
        'curl -X POST "{url}" \\\n'
        '  -H "{header}: {token}" \\\n'
        '  -H "Content-Type: application/json" \\\n'
        "  -d '{body}'"
    ).format(url=url, header=header, token=token, body=body_json)

    python = (
        "import requests\n\n"
        "response = requests.post(\n"
        "    {url},\n"
        "    headers={{{header}: {token}}},\n"
        "    json={body},\n"
        "    timeout=30,\n"
        ")\n"
        "response.raise_for_status()\n"
        "for record in response.json()[\"result\"][\"records\"]:\n"
        "    print(record)\n"
    ).format(url=json.dumps(url), header=json.dumps(header), token=json.dumps(token), body=body_json)

    javascript = (
        "const response = await fetch({url}, {{\n"
        "  method: \"POST\",\n"
        "  headers: {{ {header}: {token}, \"Content-Type\": \"application/json\" }},\n"
        "  body: JSON.stringify({body}),\n"
        "}});\n"
        "const data = await response.json();\n"
        "console.log(response.status, data.result.records);\n"
    ).format(url=json.dumps(url), header=json.dumps(header), token=json.dumps(token), body=body_json)
    return {
        "curl": curl,
        "curl_post": curl_post,
        "python": python,
        "javascript": javascript,
        "get_url": "{}?{}".format(url, query),
    }


def _viewer_state() -> str:
    """Return who is looking at the console: ``anonymous``, ``user`` (no
    developer registration), ``pending`` (registered but not approved, or
    without a current token) or ``developer``."""
    if not tk.current_user.is_authenticated:
        return "anonymous"
    try:
        developer = tk.get_action("tjportal_developer_show")(_context(), {})
    except tk.ObjectNotFound:
        return "user"
    if developer["state"] == "approved" and developer["has_token"]:
        return "developer"
    return "pending"


# --- the console ---------------------------------------------------------------


class ConsoleInputError(ValueError):
    """Invalid console input, with a message for the user."""


def _parse_int(value: str, name: str, minimum: int, maximum: Optional[int], default: int) -> int:
    value = value.strip()
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ConsoleInputError(tk._("{name} must be a whole number, not \"{value}\".").format(
            name=name, value=value))
    if number < minimum:
        raise ConsoleInputError(tk._("{name} must be at least {minimum}.").format(name=name, minimum=minimum))
    if maximum is not None and number > maximum:
        raise ConsoleInputError(tk._("{name} must be at most {maximum}, not {value}.").format(
            name=name, maximum=maximum, value=number))
    return number


def _check_field(field_id: str, known: list[str]) -> None:
    if field_id not in known:
        raise ConsoleInputError(tk._("Unknown field \"{field}\". Fields of this data service: {fields}.").format(
            field=field_id, fields=", ".join(known)))


def build_console_query(form: Any, resource_id: str, field_ids: list[str]) -> dict[str, Any]:
    """Turn the console form into ``datastore_search`` parameters.

    Raises ConsoleInputError with a message for the user on invalid JSON,
    unknown fields, a bad sort or a limit outside 1 to CONSOLE_LIMIT_MAX.
    """
    query: dict[str, Any] = {"resource_id": resource_id}

    text = (form.get("q") or "").strip()
    if text:
        query["q"] = text

    filters: dict[str, Any] = {}
    raw_filters = (form.get("filters") or "").strip()
    if raw_filters:
        try:
            parsed = json.loads(raw_filters)
        except ValueError as error:
            raise ConsoleInputError(tk._("The filters are not valid JSON: {error}").format(error=error))
        if not isinstance(parsed, dict):
            raise ConsoleInputError(tk._("The filters must be a JSON object such as {example}.").format(
                example='{"field": "value"}'))
        filters.update(parsed)
    for field_id in field_ids:
        value = (form.get(FILTER_PREFIX + field_id) or "").strip()
        if value:
            filters[field_id] = value
    for field_id in filters:
        _check_field(field_id, field_ids)
    if filters:
        query["filters"] = filters

    chosen = [field_id for field_id in form.getlist("fields") if field_id]
    for field_id in chosen:
        _check_field(field_id, field_ids)
    if chosen:
        query["fields"] = chosen

    sort_field = (form.get("sort") or "").strip()
    if sort_field:
        _check_field(sort_field, field_ids)
        direction = (form.get("direction") or "asc").strip().lower()
        if direction not in SORT_DIRECTIONS:
            raise ConsoleInputError(tk._("The sort direction must be asc or desc."))
        query["sort"] = "{} {}".format(sort_field, direction)

    query["limit"] = _parse_int(form.get("limit") or "", "limit", 1, CONSOLE_LIMIT_MAX, CONSOLE_LIMIT_DEFAULT)
    query["offset"] = _parse_int(form.get("offset") or "", "offset", 0, None, 0)
    return query


def _request_url(query: dict[str, Any]) -> str:
    params = {
        key: json.dumps(value, ensure_ascii=False) if isinstance(value, dict) else
        ",".join(value) if isinstance(value, list) else value
        for key, value in query.items()
    }
    return "{}?{}".format(_endpoint_url(), urlencode(params))


def _error_body(error_type: str, message: Any) -> dict[str, Any]:
    error = message if isinstance(message, dict) else {"message": str(message)}
    return {"success": False, "error": dict(error, __type=error_type)}


def run_console_query(query: dict[str, Any]) -> dict[str, Any]:
    """Run ``datastore_search`` as the logged-in developer through the
    metered Action API path, and return ``status``, ``body`` (the JSON the
    Action API would send), ``milliseconds`` and ``rate_limit``."""
    context = _context()
    context["api_version"] = 3  # type: ignore[typeddict-unknown-key]
    context[metering.CONSOLE_CONTEXT_KEY] = True  # type: ignore[literal-required]

    started = time.monotonic()
    status = 200
    try:
        result = tk.get_action("datastore_search")(context, dict(query))
        body: dict[str, Any] = {"success": True, "result": result}
    except metering.QuotaExceeded as error:
        status = 429
        body = _error_body("Rate Limit Error", error.message)
    except tk.NotAuthorized as error:
        status = 403
        body = _error_body("Authorization Error", error.message or tk._("Not authorized"))
    except tk.ObjectNotFound as error:
        status = 404
        body = _error_body("Not Found Error", error.message or tk._("Not found"))
    except tk.ValidationError as error:
        status = 409
        body = _error_body("Validation Error", error.error_dict)
    milliseconds = int((time.monotonic() - started) * 1000)

    log.debug("Console call on %s returned %d in %d ms", query.get("resource_id"), status, milliseconds)
    return {
        "status": status,
        # simplejson, as the Action API view uses, because the DataStore
        # returns its records as LazyJSONObject, serialised by for_json.
        "body": api_json.dumps(body, ensure_ascii=False, indent=2, default=str, for_json=True),
        "milliseconds": milliseconds,
        "rate_limit": metering.request_rate_limit(),
    }


@tjportal_developer_api.route("/dataservice/<id>/api", methods=["GET", "POST"])
def api_page(id: str) -> Union[str, Response]:
    """Show the API documentation and, on POST, run the test console."""
    package = _load_service(id)
    resource = _datastore_resource(package)
    fields = _dictionary(resource["id"]) if resource else []
    field_ids = [field["id"] for field in fields]
    header = tk.config["apitoken_header_name"]
    viewer = _viewer_state()

    form: dict[str, Any] = {"limit": str(CONSOLE_LIMIT_DEFAULT), "offset": "0"}
    console: Optional[dict[str, Any]] = None
    console_error: Optional[str] = None
    if tk.request.method == "POST":
        form = tk.request.form.to_dict()
        form["fields"] = tk.request.form.getlist("fields")
        if resource is None:
            console_error = tk._("This data service has no DataStore table to query.")
        elif viewer != "developer":
            console_error = tk._("Only approved developers with a current token can use the test console.")
        else:
            try:
                query = build_console_query(tk.request.form, resource["id"], field_ids)
            except ConsoleInputError as error:
                console_error = str(error)
            else:
                console = run_console_query(query)
                console["url"] = _request_url(query)

    return tk.render("tjportal/developer/api.html", {
        "pkg": package,
        "pkg_dict": package,
        "dataset_type": package["type"],
        "resource": resource,
        "fields": fields,
        "row_id_type": ROW_ID_TYPE,
        "header": header,
        "endpoint": _endpoint_url(),
        "rows_max": _rows_max(),
        "daily_quota": metering.daily_quota(),
        "timezone": tk.config.get("ckanext.tjportal.developer.timezone"),
        "samples": _samples(resource["id"], fields, header) if resource else None,
        "viewer": viewer,
        "form": form,
        "console": console,
        "console_error": console_error,
        "console_limit_max": CONSOLE_LIMIT_MAX,
        "filter_prefix": FILTER_PREFIX,
    })
