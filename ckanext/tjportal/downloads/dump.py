"""CSV, TSV and XLSX writers for CKAN's DataStore dump address
(``/datastore/dump/<resource id>?format=...``).

CKAN 2.12's dump view picks its writer from a fixed list (csv, tsv, json,
xml) and has no interface for more formats, so ``install`` wraps the view of
the ``datastore.dump`` endpoint. The wrapper writes CSV, TSV and XLSX itself,
with the data dictionary's labels in the header row, and hands JSON and XML
to core's view unchanged. The endpoint keeps its name, so every hook that
other plugins attach to ``datastore.dump`` (such as the developer token
check of ``tjportal_developer``) still runs before it.

TODO: CKAN 2.13 adds the IDatastoreDump interface (``register_dump_formats``).
Register these writers through it and drop the wrapper when the portal
moves to 2.13.
"""
from __future__ import annotations

import codecs
import csv
import io
import json
import logging
import re
import urllib.parse
from typing import Any, Callable, Iterator, Optional

from flask import Response

import ckan.lib.navl.dictization_functions as dictization_functions
import ckan.plugins.toolkit as tk

from ckanext.datastore.backend import DatastoreBackend
from ckanext.datastore.blueprint import dump_schema

from ckanext.tjportal.downloads import access, xlsx

log = logging.getLogger(__name__)

DUMP_ENDPOINT = "datastore.dump"

# Formats that this module writes. Core writes json and xml.
OWN_FORMATS = ("csv", "tsv", "xlsx")
CORE_FORMATS = ("json", "xml")
DOWNLOAD_FORMATS = ("csv", "tsv", "json", "xml", "xlsx")

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "tsv": "text/tab-separated-values; charset=utf-8",
    "xlsx": XLSX_CONTENT_TYPE,
}

# Rows per datastore_search call, as in core's dump view. The DataStore may
# lower it to ckan.datastore.search.rows_max.
PAGE_SIZE = 32000

# Marks a view function that install() already wrapped.
WRAPPED_ATTRIBUTE = "tjportal_downloads_wrapped"


def install(app: Any) -> None:
    """Wrap the view of ``datastore.dump`` in a Flask app (once)."""
    view_functions = getattr(app, "view_functions", None)
    if view_functions is None or DUMP_ENDPOINT not in view_functions:
        log.warning("No %s endpoint found: enable the datastore plugin to offer "
                    "CSV, TSV and XLSX downloads", DUMP_ENDPOINT)
        return
    core_view = view_functions[DUMP_ENDPOINT]
    if getattr(core_view, WRAPPED_ATTRIBUTE, False):
        return
    view_functions[DUMP_ENDPOINT] = _wrap(core_view)


def _wrap(core_view: Callable[..., Any]) -> Callable[..., Any]:
    def dump(resource_id: str) -> Any:
        fmt = requested_format()
        if fmt not in DOWNLOAD_FORMATS:
            return tk.abort(400, tk._(
                'Unknown download format "{format}". Use one of: {formats}.'
            ).format(format=fmt, formats=", ".join(DOWNLOAD_FORMATS)))
        access.check_dataservice_dump(resource_id)
        if fmt in CORE_FORMATS:
            response = core_view(resource_id)
            if getattr(response, "status_code", None) == 200 and "Content-Disposition" in response.headers:
                response.headers["Content-Disposition"] = _content_disposition(
                    resource_id, fmt, _resource_name(resource_id))
            return response
        return _dump(resource_id, fmt)

    setattr(dump, WRAPPED_ATTRIBUTE, True)
    return dump


def requested_format() -> str:
    """Return the ``format`` parameter of the current request, lower case."""
    return (tk.request.args.get("format") or "csv").strip().lower()


def _dump(resource_id: str, fmt: str) -> Response:
    schema = dump_schema()
    # Core's schema accepts only its own formats; the wrapper checked ours.
    schema.pop("format")
    args = tk.request.args.to_dict()
    args.pop("format", None)
    data, errors = dictization_functions.validate(args, schema)
    if errors:
        return tk.abort(400, "\n".join(
            "{}: {}".format(key, " ".join(messages)) for key, messages in errors.items()))

    resource_id = _resolve_alias(resource_id)
    try:
        tk.check_access("datastore_search", {}, {"resource_id": resource_id})
    except tk.NotAuthorized:
        # Core's dump view returns 404 too, so private resources stay hidden.
        return tk.abort(404, tk._("DataStore resource not found"))

    bom = data["bom"] if "bom" in args else tk.config.get("ckanext.tjportal.downloads.csv_bom")
    search_params = {
        key: value for key, value in data.items()
        if key in ("filters", "q", "distinct", "plain", "language", "fields")
    }
    pages = _Pages(resource_id, fmt, data["offset"], data.get("limit"), data["sort"], search_params)
    try:
        fields = pages.first()
    except tk.ObjectNotFound:
        return tk.abort(404, tk._("DataStore resource not found"))
    except tk.ValidationError as error:
        return tk.abort(400, tk._("Invalid download parameters: {errors}").format(
            errors=json.dumps(error.error_dict, ensure_ascii=False)))

    name = _resource_name(resource_id)
    if fmt == "xlsx":
        body = _xlsx_stream(fields, pages, name)
    else:
        body = _text_stream(fields, pages, fmt, bool(bom))
    headers = {
        "Content-Type": CONTENT_TYPES[fmt],
        "Content-Disposition": _content_disposition(resource_id, fmt, name),
    }
    return Response(body, headers=headers)


def _resolve_alias(resource_id: str) -> str:
    if resource_id in tk.config.get("ckan.datastore.public_table_search", []):
        return resource_id
    exists, real_id = DatastoreBackend.get_active_backend().resource_id_from_alias(resource_id)
    if not exists:
        return tk.abort(404, tk._("DataStore resource not found"))
    return real_id or resource_id


class _Pages:
    """The pages of one dump, read with datastore_search and keyset
    pagination, as core's dump view reads them."""

    def __init__(self, resource_id: str, fmt: str, offset: int, limit: Optional[int],
                 sort: Any, search_params: dict[str, Any]) -> None:
        self.resource_id = resource_id
        # The XLSX writer reads CSV too: PostgreSQL's COPY writes it about
        # four times as fast as the JSON lists of records_format=lists.
        self.records_format = "csv" if fmt == "xlsx" else fmt
        self.offset = offset
        self.limit = limit
        self.sort = sort
        self.search_params = search_params
        self.user = tk.current_user.name
        self.result: dict[str, Any] = {}

    def _search(self, limit: Optional[int], next_page: dict[str, Any]) -> dict[str, Any]:
        params = dict(self.search_params)
        if next_page:
            params["filters"] = dict(params.get("filters") or {}, **next_page)
        return tk.get_action("datastore_search")({"user": self.user}, dict(
            params,
            resource_id=self.resource_id,
            limit=PAGE_SIZE if limit is None else min(PAGE_SIZE, limit),
            offset=0 if next_page else self.offset,
            sort=self.sort,
            records_format=self.records_format,
            include_total=False,
            include_next_page=True,
        ))

    def first(self) -> list[dict[str, Any]]:
        """Read the first page and return the fields of the table."""
        self.result = self._search(self.limit, {})
        return self.result["fields"]

    def __iter__(self) -> Iterator[Any]:
        result = self.result
        page_size = result["limit"]
        remaining = self.limit
        while True:
            if remaining is not None and remaining <= 0:
                return
            records = result["records"]
            yield records
            if self.records_format == "lists":
                if len(records) < page_size:
                    return
            elif not records:
                return
            if remaining is not None:
                remaining -= page_size
                if remaining <= 0:
                    return
            result = self._search(remaining, result.get("next_page") or {})


def header_names(fields: list[dict[str, Any]]) -> list[str]:
    """Return the header of each field: its id, followed by the data
    dictionary's label in brackets when the label differs from the id."""
    names = []
    for field in fields:
        label = ((field.get("info") or {}).get("label") or "").strip()
        if label and label != field["id"]:
            names.append("{} ({})".format(field["id"], label))
        else:
            names.append(field["id"])
    return names


def _text_stream(fields: list[dict[str, Any]], pages: _Pages, fmt: str, bom: bool) -> Iterator[bytes]:
    header = io.StringIO()
    writer = csv.writer(header, dialect="excel-tab" if fmt == "tsv" else "excel")
    writer.writerow(header_names(fields))
    yield (codecs.BOM_UTF8 if bom else b"") + header.getvalue().encode("utf-8")
    for records in pages:
        # datastore_search returns csv and tsv pages as text, without header.
        if records:
            yield records.encode("utf-8")


# Characters that Windows, macOS or browsers refuse in a file name.
_UNSAFE_FILENAME = re.compile(r'[\x00-\x1f\x7f\\/:*?"<>|]+')
MAX_FILENAME_LENGTH = 100


def _content_disposition(resource_id: str, fmt: str, name: str) -> str:
    """Name the file after the resource, with the id as the ASCII fallback.

    ``filename*`` (RFC 6266 with RFC 5987 encoding) carries the Chinese name,
    and clients that do not read it use ``filename``.
    """
    fallback = 'attachment; filename="{}.{}"'.format(resource_id, fmt)
    name = " ".join(_UNSAFE_FILENAME.sub(" ", name).split()).strip(". ")[:MAX_FILENAME_LENGTH]
    if not name:
        return fallback
    encoded = urllib.parse.quote("{}.{}".format(name, fmt), safe="")
    return "{}; filename*=UTF-8''{}".format(fallback, encoded)


def _resource_name(resource_id: str) -> str:
    """Return the resource's name, or "" for a table that has no resource
    (``ckan.datastore.public_table_search``)."""
    try:
        resource = tk.get_action("resource_show")({"ignore_auth": True}, {"id": resource_id})
    except tk.ObjectNotFound:
        return ""
    return resource.get("name") or ""


def _xlsx_max_rows() -> int:
    configured = tk.config.get("ckanext.tjportal.downloads.xlsx_max_rows")
    return min(max(configured, xlsx.MIN_ROWS), xlsx.MAX_ROWS)


def _xlsx_stream(fields: list[dict[str, Any]], pages: _Pages, name: str) -> Iterator[bytes]:
    """Stream the rows as an XLSX workbook with one sheet named after the
    resource; see the ``xlsx`` module."""
    row_batches = xlsx.csv_row_batches([field.get("type") or "" for field in fields], pages)
    # The note is translated now, because the body is written after the
    # view returns.
    note = tk._(
        "This table has more rows than one XLSX sheet may hold, so only the "
        "first {rows} rows are included. Download the table as CSV to get "
        "every row."
    )
    return xlsx.stream_workbook(
        title=name,
        header=header_names(fields),
        row_batches=row_batches,
        truncation_note=lambda rows: note.format(rows=rows),
        max_rows=_xlsx_max_rows(),
    )
