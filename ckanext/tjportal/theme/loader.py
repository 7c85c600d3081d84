"""Load the tj-catalog demo folder into CKAN through its actions.

The folder contains ``departments.csv`` (organizations), ``topics.csv`` (groups),
``datasets.jsonl`` (datasets and data services) and ``tables/*.csv`` with a
``*.meta.json`` each (data services backed by DataStore tables; the tables in
DATASET_TABLES are also published as datasets). Every step
creates missing objects and patches existing ones, so a rerun never
duplicates anything. A record whose ``source_url`` no other record shares is
matched by that address, so a retitled record updates its dataset.
"""
from __future__ import annotations

import csv
import dataclasses
import json
import logging
import pathlib
from typing import Any, Iterator

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.types import Context

from ckanext.tjportal.theme.logic.slug import slugify_title

log = logging.getLogger(__name__)

DEPARTMENTS_FILE = "departments.csv"
TOPICS_FILE = "topics.csv"
RECORDS_FILE = "datasets.jsonl"
TABLES_FOLDER = "tables"

RECORD_KINDS = {"dataset": "dataset", "api": "dataservice"}

# The catalogue gives no conditions text for records that are open on
# conditions, but the schema requires one, so the loader points to the source.
CONDITIONS_SEE_SOURCE = "具体开放条件以来源地址公布的内容为准。"

# Column types of the tables' meta files mapped to DataStore types.
DATASTORE_TYPES = {
    "text": "text",
    "int": "int",
    "numeric": "numeric",
    "date": "date",
    "timestamp": "timestamp",
}

# How many numbered names (name, name-2, name-3, ...) a record may try before
# it is reported as failed.
NAME_ATTEMPTS = 50

# Tables that are also published as datasets (数据集), named "<table>-dataset",
# so that the demo offers their downloads in every format without a token.
DATASET_TABLES = ("tj_districts", "tj_metro_lines")


class RowError(Exception):
    """A catalogue row that cannot be loaded. Its message is the reason."""


@dataclasses.dataclass
class Problem:
    """A failed row: file name, line number (0 for a whole file) and reason."""

    file: str
    line: int
    reason: str


@dataclasses.dataclass
class StepCounts:
    """Outcome of one file or folder: new objects, updated ones and failures."""

    loaded: int = 0
    updated: int = 0
    failed: int = 0


@dataclasses.dataclass
class LoadReport:
    steps: dict[str, StepCounts] = dataclasses.field(default_factory=dict)
    problems: list[Problem] = dataclasses.field(default_factory=list)

    def total(self) -> StepCounts:
        return StepCounts(
            loaded=sum(step.loaded for step in self.steps.values()),
            updated=sum(step.updated for step in self.steps.values()),
            failed=sum(step.failed for step in self.steps.values()),
        )


def format_validation_error(error: tk.ValidationError) -> str:
    """Join a ValidationError's field messages into one line."""
    parts = []
    for field, messages in sorted(error.error_dict.items()):
        parts.append("%s: %s" % (field, _flatten_messages(messages)))
    return "; ".join(parts) or str(error)


def _flatten_messages(messages: Any) -> str:
    if isinstance(messages, dict):
        return ", ".join(
            "%s: %s" % (key, _flatten_messages(value))
            for key, value in sorted(messages.items())
        )
    if isinstance(messages, list):
        return " ".join(_flatten_messages(item) for item in messages if item)
    return str(messages)


class CatalogueLoader:
    """Load one catalogue folder as the site user."""

    def __init__(self, folder: pathlib.Path) -> None:
        self.folder = folder
        self.report = LoadReport()
        site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})
        self.user = site_user["name"]

    def _context(self) -> Context:
        return {"user": self.user}

    def run(self) -> LoadReport:
        self.shared_source_urls = self._shared_source_urls()
        self.table_names = self._table_dataset_names()
        self._load_rows(DEPARTMENTS_FILE, self._read_csv, self._load_department)
        self._load_rows(TOPICS_FILE, self._read_csv, self._load_topic)
        self._load_rows(RECORDS_FILE, self._read_jsonl, self._load_record)
        self._load_rows(TABLES_FOLDER, self._read_tables, self._load_table)
        return self.report

    # Reading

    def _load_rows(self, name: str, reader: Any, load: Any) -> None:
        counts = self.report.steps.setdefault(name, StepCounts())
        path = self.folder / name
        if not path.exists():
            self._fail(counts, name, 0, tk._("file or folder not found"))
            return
        for file_name, line, row in reader(path):
            try:
                if isinstance(row, RowError):
                    raise row
                created = load(row)
            except RowError as error:
                self._fail(counts, file_name, line, str(error))
            except tk.ValidationError as error:
                self._fail(counts, file_name, line, format_validation_error(error))
            except (tk.ObjectNotFound, tk.NotAuthorized) as error:
                self._fail(counts, file_name, line, str(error) or type(error).__name__)
            except Exception as error:  # noqa: BLE001 - one bad row must not stop the load
                log.exception("Loading %s line %s failed", file_name, line)
                # Database errors carry the SQL on later lines; the log keeps it.
                first_line = str(error).splitlines()[0] if str(error) else ""
                self._fail(counts, file_name, line,
                           "%s: %s" % (type(error).__name__, first_line))
            else:
                if created:
                    counts.loaded += 1
                else:
                    counts.updated += 1
                log.debug("Loaded %s line %s", file_name, line)

    def _fail(self, counts: StepCounts, file_name: str, line: int, reason: str) -> None:
        # A failed action may leave the session in an aborted transaction,
        # and the next row needs a clean one.
        model.Session.rollback()
        counts.failed += 1
        self.report.problems.append(Problem(file_name, line, reason))
        log.warning("Cannot load %s line %s: %s", file_name, line, reason)

    def _read_csv(self, path: pathlib.Path) -> Iterator[tuple[str, int, Any]]:
        with path.open(encoding="utf-8", newline="") as stream:
            reader = csv.DictReader(stream)
            for row in reader:
                yield path.name, reader.line_num, row

    def _read_jsonl(self, path: pathlib.Path) -> Iterator[tuple[str, int, Any]]:
        with path.open(encoding="utf-8") as stream:
            for number, line in enumerate(stream, 1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except ValueError as error:
                    row = RowError(tk._("invalid JSON: {error}").format(error=error))
                else:
                    if not isinstance(row, dict):
                        row = RowError(tk._("expected a JSON object"))
                yield path.name, number, row

    def _shared_source_urls(self) -> set[str]:
        """Return the source addresses that appear in more than one record."""
        path = self.folder / RECORDS_FILE
        if not path.exists():
            return set()
        seen: set[str] = set()
        shared: set[str] = set()
        for _file_name, _line, row in self._read_jsonl(path):
            url = row.get("source_url") if isinstance(row, dict) else None
            if not isinstance(url, str) or not url:
                continue
            if url in seen:
                shared.add(url)
            seen.add(url)
        return shared

    def _table_dataset_names(self) -> set[str]:
        """Return the names of the datasets that the tables folder creates."""
        names = set()
        for table in (self.folder / TABLES_FOLDER).glob("*.csv"):
            name = _table_dataset_name(table)
            names.update((name, "%s-dataset" % name))
        return names

    def _read_tables(self, path: pathlib.Path) -> Iterator[tuple[str, int, Any]]:
        for table in sorted(path.glob("*.csv")):
            yield "%s/%s" % (TABLES_FOLDER, table.name), 1, table

    # Departments and topics

    def _load_department(self, row: dict[str, str]) -> bool:
        name = _required(row, "slug")
        data = {
            "name": name,
            "title": _required(row, "name_zh"),
            "extras": _extras(row, ("name_en", "kind", "source_url")),
        }
        return self._upsert_group("organization", data)

    def _load_topic(self, row: dict[str, str]) -> bool:
        name = _required(row, "slug")
        data = {
            "name": name,
            "title": _required(row, "name_zh"),
            "description": (row.get("description_zh") or "").strip(),
            "extras": _extras(row, ("name_en", "source_url")),
        }
        return self._upsert_group("group", data)

    def _upsert_group(self, kind: str, data: dict[str, Any]) -> bool:
        """Create or patch a group or organization; return True if created."""
        try:
            tk.get_action("%s_show" % kind)(self._context(), {"id": data["name"]})
        except tk.ObjectNotFound:
            tk.get_action("%s_create" % kind)(self._context(), data)
            return True
        tk.get_action("%s_patch" % kind)(
            self._context(), dict(data, id=data["name"], state="active"))
        return False

    # Records

    def _load_record(self, row: dict[str, Any]) -> bool:
        title = _required(row, "title_zh")
        kind = row.get("kind")
        if kind not in RECORD_KINDS:
            raise RowError(
                tk._('invalid kind "{kind}": expected "dataset" or "api"').format(
                    kind=kind))
        department = _required(row, "department_slug")
        topic = _required(row, "topic_slug")
        self._require_group("organization", department)
        self._require_group("group", topic)

        formats = row.get("formats") or []
        keywords = row.get("keywords_zh") or []
        if not isinstance(formats, list) or not isinstance(keywords, list):
            raise RowError(tk._("formats and keywords_zh must be lists"))

        source_url = row.get("source_url") or ""
        if not isinstance(source_url, str):
            raise RowError(tk._("source_url must be a string"))
        condition = row.get("open_condition")
        data = {
            "type": RECORD_KINDS[kind],
            "title": title,
            "notes": row.get("description_zh") or "",
            "owner_org": department,
            "groups": [{"name": topic}],
            "tags": [{"name": keyword} for keyword in keywords],
            "update_frequency": row.get("update_frequency") or "",
            "open_condition": condition or "",
            "open_conditions": CONDITIONS_SEE_SOURCE if condition == "conditional" else "",
            "record_count": _text(row.get("record_count")),
            "publish_date": row.get("published") or "",
            "update_date": row.get("updated") or "",
            "source_city": row.get("city") or "",
            "source_url": source_url,
            "data_items": _data_items(row),
            "resources": [
                {"name": str(fmt).upper(), "url": source_url, "format": fmt}
                for fmt in formats
            ],
        }
        # Stable key: the source address when no other record in the file
        # carries it, so a record retitled in the catalogue keeps its dataset
        # and its URL name. Otherwise the key is the department plus the
        # Chinese title: a stored dataset with the title's pinyin name
        # (numbered on collision), that owner and that title is this record.
        # NOTE: records that share a source address (the Shanghai records
        # all cite the same crawl file) still get a second dataset when
        # their title changes, because the catalogue gives them no other id.
        existing = None
        if source_url and source_url not in self.shared_source_urls:
            existing = self._find_by_source_url(source_url)
        if existing is None:
            existing = self._find_record(slugify_title(title), department, title)
        if isinstance(existing, str):
            tk.get_action("package_create")(self._context(), dict(data, name=existing))
            return True
        self._patch_dataset(existing, data)
        return False

    def _require_group(self, kind: str, name: str) -> None:
        try:
            group = tk.get_action("%s_show" % kind)(
                self._context(), {"id": name, "include_datasets": False,
                                  "include_users": False})
        except tk.ObjectNotFound:
            group = None
        if group is None or group.get("state") != "active":
            if kind == "organization":
                message = tk._('unknown department "{name}"')
            else:
                message = tk._('unknown topic "{name}"')
            raise RowError(message.format(name=name))

    def _find_by_source_url(self, source_url: str) -> dict[str, Any] | None:
        """Return the one stored record dataset with this source address.

        Returns None when no dataset or more than one carries it. Deleted
        datasets count, because the loader restores them as it does when it
        matches by name. Datasets of the tables folder are skipped.
        """
        query = model.Session.query(model.Package.id).filter(
            model.Package.extras["source_url"].astext == source_url,
            model.Package.type.in_(tuple(RECORD_KINDS.values())),
            model.Package.state.in_((model.State.ACTIVE, model.State.DELETED)),
        )
        if self.table_names:
            query = query.filter(model.Package.name.notin_(self.table_names))
        package_ids = [package_id for (package_id,) in query.limit(2)]
        if len(package_ids) != 1:
            return None
        return tk.get_action("package_show")(self._context(), {"id": package_ids[0]})

    def _find_record(
        self, base: str, department: str, title: str
    ) -> dict[str, Any] | str:
        """Return the stored dataset of a record, or a free name for a new one."""
        organization = model.Group.get(department)
        for number in range(1, NAME_ATTEMPTS + 1):
            name = base if number == 1 else "%s-%d" % (base[:90], number)
            try:
                dataset = tk.get_action("package_show")(self._context(), {"id": name})
            except tk.ObjectNotFound:
                return name
            if dataset.get("title") == title and organization is not None and \
                    dataset.get("owner_org") == organization.id:
                return dataset
        raise RowError(
            tk._("no free dataset name after {count} attempts").format(
                count=NAME_ATTEMPTS))

    def _patch_dataset(self, existing: dict[str, Any], data: dict[str, Any]) -> None:
        # Reuse the ids of resources with the same format, so links to
        # resources stay valid across reruns.
        ids_by_format = {
            (resource.get("format") or "").lower(): resource["id"]
            for resource in existing.get("resources", [])
        }
        resources = []
        for resource in data["resources"]:
            resource_id = ids_by_format.get(str(resource["format"]).lower())
            resources.append(dict(resource, id=resource_id) if resource_id else resource)
        tk.get_action("package_patch")(
            self._context(),
            dict(data, id=existing["id"], resources=resources, state="active"))

    # Tables

    def _load_table(self, table: pathlib.Path) -> bool:
        meta_path = table.with_suffix(".meta.json")
        if not meta_path.exists():
            raise RowError(
                tk._("meta file {name} not found").format(name=meta_path.name))
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except ValueError as error:
            raise RowError(tk._("invalid JSON in {name}: {error}").format(
                name=meta_path.name, error=error))
        if not isinstance(meta, dict):
            raise RowError(tk._("expected a JSON object in {name}").format(
                name=meta_path.name))

        fields = self._table_fields(meta)
        records = self._table_records(table, fields)
        department = _required(meta, "department_slug")
        topic = _required(meta, "topic_slug")
        self._require_group("organization", department)
        self._require_group("group", topic)

        sources = meta.get("source_url") or []
        if isinstance(sources, str):
            sources = [sources]
        title = _required(meta, "title_zh")
        notes = meta.get("description_zh") or title
        if sources:
            notes += "\n\n数据来源：\n\n" + "\n".join("- %s" % url for url in sources)
        data = {
            "type": "dataservice",
            "title": title,
            "notes": notes,
            "owner_org": department,
            "groups": [{"name": topic}],
            "open_condition": "unconditional",
            "update_frequency": "irregular",
            "record_count": str(len(records)),
            "source_city": "天津",
            "source_url": sources[0] if sources else "",
        }

        # Stable key: the table's file name, which is also the dataset name.
        name = _table_dataset_name(table)
        try:
            existing = tk.get_action("package_show")(self._context(), {"id": name})
        except tk.ObjectNotFound:
            existing = None
        if existing is None:
            dataset = tk.get_action("package_create")(self._context(), dict(data, name=name))
            resource_id = None
        else:
            dataset = tk.get_action("package_patch")(
                self._context(), dict(data, id=existing["id"], state="active",
                                      resources=existing.get("resources", [])))
            resource_id = _datastore_resource_id(dataset)

        self._write_datastore(dataset, resource_id, title, fields, records)
        if table.stem in DATASET_TABLES:
            self._load_table_dataset("%s-dataset" % name, data, title, fields, records)
        return existing is None

    def _load_table_dataset(
        self, name: str, data: dict[str, Any], title: str,
        fields: list[dict[str, Any]], records: list[dict[str, Any]],
    ) -> None:
        """Create or update the dataset copy of a table, with the same table."""
        data = dict(data, type="dataset")
        try:
            existing = tk.get_action("package_show")(self._context(), {"id": name})
        except tk.ObjectNotFound:
            existing = None
        if existing is None:
            dataset = tk.get_action("package_create")(self._context(), dict(data, name=name))
            resource_id = None
        else:
            dataset = tk.get_action("package_patch")(
                self._context(), dict(data, id=existing["id"], state="active",
                                      resources=existing.get("resources", [])))
            resource_id = _datastore_resource_id(dataset)
        self._write_datastore(dataset, resource_id, title, fields, records, "CSV")

    def _table_fields(self, meta: dict[str, Any]) -> list[dict[str, Any]]:
        fields = []
        for field in meta.get("fields") or []:
            if not isinstance(field, dict) or not field.get("name"):
                raise RowError(tk._("every field in the meta file needs a name"))
            field_type = DATASTORE_TYPES.get(field.get("type", "text"))
            if field_type is None:
                raise RowError(tk._('field "{name}" has unknown type "{type}"').format(
                    name=field["name"], type=field.get("type")))
            info = {"label": field.get("label_zh") or field["name"]}
            description = field.get("description_zh") or field.get("notes")
            if description:
                info["notes"] = description
            fields.append({"id": field["name"], "type": field_type, "info": info})
        if not fields:
            raise RowError(tk._("the meta file lists no fields"))
        return fields

    def _table_records(
        self, table: pathlib.Path, fields: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        with table.open(encoding="utf-8", newline="") as stream:
            reader = csv.DictReader(stream)
            header = reader.fieldnames or []
            expected = [field["id"] for field in fields]
            if header != expected:
                raise RowError(
                    tk._("CSV header {header} does not match the meta file fields "
                         "{fields}").format(header=header, fields=expected))
            text_fields = {field["id"] for field in fields if field["type"] == "text"}
            return [
                {
                    key: value if key in text_fields or value != "" else None
                    for key, value in row.items()
                }
                for row in reader
            ]

    def _write_datastore(
        self, dataset: dict[str, Any], resource_id: str | None, title: str,
        fields: list[dict[str, Any]], records: list[dict[str, Any]],
        resource_format: str = "API",
    ) -> None:
        if resource_id:
            # Replace the whole table, so a rerun never duplicates rows. An
            # earlier failed run may have left the resource without a table.
            try:
                tk.get_action("datastore_delete")(
                    self._context(), {"resource_id": resource_id, "force": True})
            except tk.ObjectNotFound:
                log.debug("Resource %s had no DataStore table", resource_id)
            target: dict[str, Any] = {"resource_id": resource_id}
        else:
            target = {"resource": {
                "package_id": dataset["id"], "name": title, "format": resource_format,
            }}
        tk.get_action("datastore_create")(self._context(), dict(
            target, fields=fields, records=records, force=True))


def _table_dataset_name(table: pathlib.Path) -> str:
    return table.stem.lower().replace("_", "-")


def _data_items(row: dict[str, Any]) -> list[dict[str, str]]:
    """Map a record's ``fields`` to the schemas' ``data_items`` field.

    The schema validates the values, so a missing name or an unknown type is
    reported like any other invalid field.
    """
    fields = row.get("fields") or []
    if not isinstance(fields, list) or not all(isinstance(f, dict) for f in fields):
        raise RowError(tk._("fields must be a list of JSON objects"))
    return [
        {
            "name": _text(field.get("name")),
            "label": _text(field.get("label_zh")),
            "type": _text(field.get("type")),
            "description": _text(field.get("description_zh") or field.get("notes")),
        }
        for field in fields
    ]


def _datastore_resource_id(dataset: dict[str, Any]) -> str | None:
    for resource in dataset.get("resources", []):
        if resource.get("datastore_active") or resource.get("url_type") == "datastore":
            return resource["id"]
    return None


def _required(row: dict[str, Any], key: str) -> str:
    value = row.get(key)
    if not isinstance(value, str) or not value.strip():
        raise RowError(tk._("missing value for {key}").format(key=key))
    return value.strip()


def _extras(row: dict[str, str], keys: tuple[str, ...]) -> list[dict[str, str]]:
    return [
        {"key": key, "value": row[key].strip()}
        for key in keys
        if (row.get(key) or "").strip()
    ]


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def load_catalogue(folder: pathlib.Path) -> LoadReport:
    """Load a tj-catalog folder and return the counts and problems per file."""
    log.info("Loading demo catalogue from %s", folder)
    report = CatalogueLoader(folder).run()
    total = report.total()
    log.info("Demo catalogue loaded: %d new, %d updated, %d failed",
             total.loaded, total.updated, total.failed)
    return report
