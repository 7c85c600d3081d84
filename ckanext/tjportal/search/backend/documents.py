"""Turn CKAN's search index documents into rows of ``tjportal_search_document``."""
from __future__ import annotations

import datetime
import json
from typing import Any, Optional

from dateutil import parser as date_parser

from . import text
from .lucene import is_date_field, is_text_field

# Fields CKAN stores as JSON strings for display; they are never searched.
STORED_ONLY_FIELDS = frozenset({"data_dict", "validated_data_dict"})

# Weights of the catch-all full-text vector: A ranks highest.
WEIGHT_A_FIELDS = ("title",)
WEIGHT_B_FIELDS = ("tags",)
WEIGHT_C_FIELDS = ("notes",)
# The weights copied into the short ranking vector ``rank_words``.
RANKED_WEIGHTS = ("A", "B", "C")
# Everything else Solr copies into its catch-all ``text`` field.
WEIGHT_D_FIELDS = (
    "name", "groups", "organization", "license", "res_name", "res_description",
    "maintainer", "author", "url", "ckan_url", "download_url", "res_url", "text",
)
WEIGHT_D_PREFIXES = ("extras_", "res_extras_", "vocab_")
# Single-valued string fields CKAN filters on in every search; each has a
# column of the same name.
FILTER_COLUMNS = ("state", "entity_type", "dataset_type", "capacity")
# Fields whose values are also kept in the narrow ``facet_values`` column, as
# "name<US>value" strings: CKAN's default facets and the portal's. Counting
# them reads that column instead of the larger ``fields``. A change to this
# list needs a migration that fills the column again (see c9d4b6e2a871).
FACET_FIELDS = (
    "organization", "groups", "tags", "res_format", "license_id", "dataset_type",
    "update_frequency", "open_condition", "source_city",
)
# The separator of name and value in ``facet_values`` (ASCII unit separator).
FACET_SEPARATOR = "\x1f"


def as_strings(value: Any) -> list[str]:
    """Return the string forms of a field value, as Solr would index them."""
    if value is None:
        return []
    if isinstance(value, (list, tuple, set)):
        result: list[str] = []
        for item in value:
            result.extend(as_strings(item))
        return result
    if isinstance(value, bool):
        return ["true" if value else "false"]
    if isinstance(value, dict):
        return [json.dumps(value, ensure_ascii=False, sort_keys=True)]
    if isinstance(value, (datetime.date, datetime.datetime)):
        return [value.isoformat()]
    return [str(value)]


def _timestamp(value: Any) -> Optional[datetime.datetime]:
    if not value:
        return None
    if isinstance(value, datetime.datetime):
        parsed = value
    else:
        try:
            parsed = date_parser.isoparse(str(value))
        except (ValueError, OverflowError):
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.timezone.utc)
    return parsed


def solr_date(value: Any) -> str:
    """Format a date the way Solr returns a date field.

    Solr keeps dates in UTC with millisecond precision and prints them with a
    trailing ``Z`` and no fraction when the milliseconds are zero, for example
    ``2014-06-10T08:24:12.782Z``. Raises ValueError when ``value`` is not a date.
    """
    moment = _timestamp(value)
    if moment is None:
        raise ValueError("not a date: %r" % str(value)[:100])
    moment = moment.astimezone(datetime.timezone.utc)
    formatted = "%04d-%02d-%02dT%02d:%02d:%02d" % (
        moment.year, moment.month, moment.day,
        moment.hour, moment.minute, moment.second,
    )
    milliseconds = moment.microsecond // 1000
    if milliseconds:
        formatted += ".%03d" % milliseconds
    return formatted + "Z"


def _with_solr_dates(doc: dict[str, Any]) -> dict[str, Any]:
    """Return a copy of ``doc`` with its date fields formatted by :func:`solr_date`."""
    result = dict(doc)
    for key, value in doc.items():
        if not is_date_field(key) or value in (None, "", []):
            continue
        try:
            if isinstance(value, (list, tuple)):
                result[key] = [solr_date(item) for item in value if item not in (None, "")]
            else:
                result[key] = solr_date(value)
        except ValueError as error:
            raise ValueError("invalid date in search document field %r: %s" % (key, error))
    return result


def _weighted_values(doc: dict[str, Any]) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {"A": [], "B": [], "C": [], "D": []}
    for key, value in doc.items():
        if key in WEIGHT_A_FIELDS:
            weight = "A"
        elif key in WEIGHT_B_FIELDS:
            weight = "B"
        elif key in WEIGHT_C_FIELDS:
            weight = "C"
        elif key in WEIGHT_D_FIELDS or key.startswith(WEIGHT_D_PREFIXES):
            weight = "D"
        else:
            continue
        groups[weight].extend(as_strings(value))
    return groups


def document_row(doc: dict[str, Any]) -> dict[str, Any]:
    """Build the column values of one search document.

    Raises ValueError when the document has no ``index_id``, ``id`` or
    ``site_id``, which every CKAN index document carries, or when a date field
    (``metadata_modified``, ``*_date``, ...) is not a date, which Solr rejects too.
    """
    for required in ("index_id", "id", "site_id"):
        if not doc.get(required):
            raise ValueError("search document without %r" % required)
    doc = _with_solr_dates(doc)

    # Exact values of string fields, for filters and facets, apart from the
    # tokens of text fields, for fielded text queries.
    fields: dict[str, list[str]] = {}
    tokens: dict[str, list[str]] = {}
    for key, value in doc.items():
        if key in STORED_ONLY_FIELDS or key == "text":
            continue
        values = as_strings(value)
        if not values:
            continue
        if is_text_field(key):
            tokens[key] = text.field_tokens(values)
        else:
            fields[key] = values

    cjk_literals: list[str] = []
    cjk_rank_literals: list[str] = []
    latin: dict[str, str] = {}
    position = 1
    for weight, values in _weighted_values(doc).items():
        analyzed = text.analyze_for_index(values, start_position=position)
        position = analyzed.next_position
        literal = analyzed.tsvector_literal(weight)
        if literal:
            cjk_literals.append(literal)
            if weight in RANKED_WEIGHTS:
                cjk_rank_literals.append(literal)
        latin[weight] = analyzed.latin

    # Each value once per document, because a facet counts documents.
    facet_values = [
        name + FACET_SEPARATOR + value
        for name in FACET_FIELDS
        for value in dict.fromkeys(fields.get(name, []))
    ]
    labels = as_strings(doc.get("permission_labels"))
    filter_columns = {name: (fields.get(name) or [None])[0] for name in FILTER_COLUMNS}
    title = doc.get("title_string") or doc.get("title")
    return {
        "index_id": str(doc["index_id"]),
        "id": str(doc["id"]),
        "site_id": str(doc["site_id"]),
        "name": doc.get("name"),
        "title_sort": str(title) if title is not None else None,
        "metadata_modified": _timestamp(doc.get("metadata_modified")),
        "metadata_created": _timestamp(doc.get("metadata_created")),
        "permission_labels": labels,
        "fields": json.dumps(fields, ensure_ascii=False),
        "facet_values": facet_values,
        "tokens": json.dumps(tokens, ensure_ascii=False),
        **filter_columns,
        "stored": json.dumps(doc, ensure_ascii=False, default=str),
        "cjk_words": " ".join(cjk_literals),
        "cjk_rank_words": " ".join(cjk_rank_literals),
        "latin_a": latin["A"],
        "latin_b": latin["B"],
        "latin_c": latin["C"],
        "latin_d": latin["D"],
    }


UPSERT_SQL = """
INSERT INTO tjportal_search_document (
    index_id, id, site_id, name, title_sort, metadata_modified,
    metadata_created, permission_labels, fields, facet_values, tokens, state,
    entity_type, dataset_type, capacity, stored, words, rank_words,
    title_words, seq, indexed_at
) VALUES %s
ON CONFLICT (index_id) DO UPDATE SET
    id = EXCLUDED.id,
    site_id = EXCLUDED.site_id,
    name = EXCLUDED.name,
    title_sort = EXCLUDED.title_sort,
    metadata_modified = EXCLUDED.metadata_modified,
    metadata_created = EXCLUDED.metadata_created,
    permission_labels = EXCLUDED.permission_labels,
    fields = EXCLUDED.fields,
    facet_values = EXCLUDED.facet_values,
    tokens = EXCLUDED.tokens,
    state = EXCLUDED.state,
    entity_type = EXCLUDED.entity_type,
    dataset_type = EXCLUDED.dataset_type,
    capacity = EXCLUDED.capacity,
    stored = EXCLUDED.stored,
    words = EXCLUDED.words,
    rank_words = EXCLUDED.rank_words,
    title_words = EXCLUDED.title_words,
    seq = EXCLUDED.seq,
    indexed_at = EXCLUDED.indexed_at
"""

# The ranking vector: title (A), tags (B) and description (C).
_RANK_WORDS = """%(cjk_rank_words)s::tsvector
        || setweight(to_tsvector('{config}', %(latin_a)s), 'A')
        || setweight(to_tsvector('{config}', %(latin_b)s), 'B')
        || setweight(to_tsvector('{config}', %(latin_c)s), 'C')"""

# One row of UPSERT_SQL's VALUES list, for psycopg2.extras.execute_values.
# ``title_words`` is the title's part of ``rank_words``, as the migration
# that added it computes it for existing rows.
UPSERT_TEMPLATE = """(
    %(index_id)s, %(id)s, %(site_id)s, %(name)s, %(title_sort)s,
    %(metadata_modified)s, %(metadata_created)s, %(permission_labels)s::text[],
    %(fields)s::jsonb, %(facet_values)s::text[], %(tokens)s::jsonb, %(state)s, %(entity_type)s,
    %(dataset_type)s, %(capacity)s, %(stored)s::jsonb,
    %(cjk_words)s::tsvector
        || setweight(to_tsvector('{config}', %(latin_a)s), 'A')
        || setweight(to_tsvector('{config}', %(latin_b)s), 'B')
        || setweight(to_tsvector('{config}', %(latin_c)s), 'C')
        || setweight(to_tsvector('{config}', %(latin_d)s), 'D'),
    {rank_words},
    ts_filter({rank_words}, '{{a}}'),
    nextval('tjportal_search_document_seq'), now()
)""".format(config=text.TEXT_SEARCH_CONFIG, rank_words=_RANK_WORDS.format(config=text.TEXT_SEARCH_CONFIG))
