"""Translate Solr query parameters (Lucene and DisMax syntax) into SQL.

Queries are parsed with luqum into a tree and each node becomes a SQL
condition over the ``tjportal_search_document`` table. Values always travel
as bind parameters; field names are checked against a strict pattern and also
passed as parameters, so no query text reaches the SQL string.

Field semantics follow CKAN's Solr schema (``ckan/config/solr/schema.xml`` in
CKAN 2.12): text fields are tokenised, ``*_date`` and the metadata timestamps
are dates, and every other field is an exact, case-sensitive string.
"""
from __future__ import annotations

import datetime
import functools
import json
import re
import threading
from dataclasses import dataclass, field
from typing import Any, Optional

from dateutil import parser as date_parser
from luqum import tree
from luqum.exceptions import ParseError
from luqum.parser import parser as lucene_parser

import ckan.plugins.toolkit as tk
from ckan.lib.search.common import SearchQueryError

from . import text

# Tokenised fields of CKAN's Solr schema; ``text`` is the catch-all field.
TEXT_FIELDS = frozenset({
    "title", "notes", "author", "author_email", "maintainer",
    "maintainer_email", "res_name", "res_description", "text", "urls",
    "depends_on", "dependency_of", "derives_from", "has_derivation",
    "links_to", "linked_from", "child_of", "parent_of",
})
TEXT_FIELD_PREFIXES = ("extras_", "res_extras_")
# Fields stored in their own columns.
DATE_COLUMNS = {
    "metadata_modified": "metadata_modified",
    "metadata_created": "metadata_created",
}
DATE_FIELD_SUFFIX = "_date"
# Single-valued string fields with a column of the same name (documents.py
# fills them), plus ``site_id``. Exact matches on them compare the column.
FILTER_COLUMNS = frozenset({"site_id", "state", "entity_type", "dataset_type", "capacity"})
# Solr's copies of ``name`` and ``title`` split into every 2 to 10 character
# substring (``text_ngram`` in the schema), which package_autocomplete queries.
NGRAM_SOURCES = {"name_ngram": "name", "title_ngram": "title"}
NGRAM_MIN, NGRAM_MAX = 2, 10
# Letters and digits of any script, "_", and "." or "-" after the first
# character. Field names only ever travel as bind parameters; unknown ones
# match nothing, as under Solr's catch-all dynamic field.
FIELD_NAME = re.compile(r"\w[\w.\-]*")
# The permission label CKAN gives every public dataset.
PUBLIC_LABEL = "public"
# Solr's default maxBooleanClauses; a query with more terms is rejected.
MAX_CLAUSES = 1024
# Deepest nesting of brackets and operators a query may have.
MAX_NESTING = 100

# luqum's parser and lexer keep their state in module-level objects, so one
# thread at a time may use them.
_parser_lock = threading.Lock()

# Queries up to this length keep their parsed tree in :func:`_parse`'s cache.
MAX_CACHED_QUERY_LENGTH = 1000


def _parse(query: str) -> tree.Item:
    """Return luqum's tree of ``query``, parsed once per process for short queries.

    CKAN sends the same filter queries (site, state, permission labels)
    with every search, and parsing each took about 0.25 ms. The translation
    only reads the trees, so a cached tree can serve every request.
    """
    if len(query) <= MAX_CACHED_QUERY_LENGTH:
        return _parse_cached(query)
    with _parser_lock:
        return lucene_parser.parse(query)


@functools.lru_cache(maxsize=2048)
def _parse_cached(query: str) -> tree.Item:
    with _parser_lock:
        return lucene_parser.parse(query)


_DATE_MATH = re.compile(
    r"^NOW(?P<ops>(?:[+-]\d+(?:YEARS?|MONTHS?|DAYS?|HOURS?|MINUTES?|SECONDS?)"
    r"|/(?:YEAR|MONTH|DAY|HOUR|MINUTE|SECOND))*)$"
)
_DATE_OP = re.compile(r"([+-])(\d+)([A-Z]+?)S?(?=[+-/]|$)|/([A-Z]+)")


def is_text_field(name: str) -> bool:
    return name in TEXT_FIELDS or name.startswith(TEXT_FIELD_PREFIXES)


def is_date_field(name: str) -> bool:
    return name in DATE_COLUMNS or name.endswith(DATE_FIELD_SUFFIX) or name == "indexed_ts"


def check_field_name(name: str) -> str:
    if not FIELD_NAME.fullmatch(name) or len(name) > 200:
        raise SearchQueryError("Invalid field name in search query: %r" % name[:200])
    return name


@dataclass
class Sql:
    """A SQL condition with its bind parameters."""

    text: str
    params: list[Any] = field(default_factory=list)


TRUE = Sql("TRUE")
FALSE = Sql("FALSE")


def join(parts: list[Sql], operator: str) -> Sql:
    if not parts:
        return TRUE if operator == "AND" else FALSE
    if len(parts) == 1:
        return parts[0]
    params: list[Any] = []
    for part in parts:
        params.extend(part.params)
    return Sql("(" + (" %s " % operator).join(p.text for p in parts) + ")", params)


def negate(part: Sql) -> Sql:
    return Sql("NOT COALESCE(%s, FALSE)" % part.text, list(part.params))


def unescape(value: str) -> str:
    """Remove Lucene backslash escapes from a term."""
    return re.sub(r"\\(.)", r"\1", value)


def _like_pattern(value: str) -> str:
    """Turn a Lucene wildcard term into a LIKE pattern."""
    out: list[str] = []
    index = 0
    while index < len(value):
        char = value[index]
        if char == "\\" and index + 1 < len(value):
            out.append(_like_escape(value[index + 1]))
            index += 2
            continue
        if char == "*":
            out.append("%")
        elif char == "?":
            out.append("_")
        else:
            out.append(_like_escape(char))
        index += 1
    return "".join(out)


def _like_escape(char: str) -> str:
    return "\\" + char if char in "%_\\" else char


def has_wildcard(value: str) -> bool:
    return bool(re.search(r"(?<!\\)[*?]", value))


def parse_date(value: str, now: Optional[datetime.datetime] = None) -> Optional[datetime.datetime]:
    """Parse a Solr date or date-math value (``NOW-1DAY``, ``NOW/DAY``); ``*`` is None."""
    value = value.strip()
    if value == "*":
        return None
    now = now or datetime.datetime.now(datetime.timezone.utc)
    match = _DATE_MATH.match(value)
    if match:
        result = now
        for sign, amount, unit, round_unit in _DATE_OP.findall(match.group("ops")):
            if round_unit:
                result = _round_date(result, round_unit)
            else:
                result = _shift_date(result, int(amount) * (1 if sign == "+" else -1), unit)
        return result
    try:
        parsed = date_parser.isoparse(value)
    except (ValueError, OverflowError):
        raise SearchQueryError("Invalid date in search query: %r" % value[:100])
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.timezone.utc)
    return parsed


def _shift_date(value: datetime.datetime, amount: int, unit: str) -> datetime.datetime:
    try:
        return _shift_date_unchecked(value, amount, unit)
    except (ValueError, OverflowError):
        raise SearchQueryError(tk._("Date out of range in search query: %+d %s") % (amount, unit))


def _shift_date_unchecked(value: datetime.datetime, amount: int, unit: str) -> datetime.datetime:
    unit = unit.rstrip("S")
    if unit == "YEAR":
        return value.replace(year=value.year + amount)
    if unit == "MONTH":
        month = value.month - 1 + amount
        return value.replace(year=value.year + month // 12, month=month % 12 + 1, day=min(value.day, 28))
    seconds = {"DAY": 86400, "HOUR": 3600, "MINUTE": 60, "SECOND": 1}.get(unit)
    if seconds is None:
        raise SearchQueryError("Invalid date unit in search query: %r" % unit)
    return value + datetime.timedelta(seconds=seconds * amount)


def _round_date(value: datetime.datetime, unit: str) -> datetime.datetime:
    fields = ["YEAR", "MONTH", "DAY", "HOUR", "MINUTE", "SECOND"]
    if unit not in fields:
        raise SearchQueryError("Invalid date unit in search query: %r" % unit)
    keep = fields.index(unit)
    replacements: dict[str, int] = {}
    for index, name in enumerate(["month", "day", "hour", "minute", "second"], start=1):
        if index > keep:
            replacements[name] = 1 if name in ("month", "day") else 0
    return value.replace(microsecond=0, **replacements)


class TermMatcher:
    """SQL conditions for single terms, by field type."""

    def __init__(self, hide_public_label: bool = False) -> None:
        # tsquery expressions of the positive full-text terms, used for ranking.
        self.rank_terms: list[Sql] = []
        # The same terms expanded with their synonyms, for a smaller share of the rank.
        self.synonym_rank_terms: list[Sql] = []
        # Whether label filters with "public" are written so that the
        # planner cannot use the label index for them (see any_label).
        self.hide_public_label = hide_public_label

    # Full text over the catch-all ``text`` field (the weighted tsvector).

    def full_text(self, term: str, phrase: bool, scoring: bool = True) -> Sql:
        analyzed = text.analyze_term(term, phrase=phrase)
        if analyzed.empty:
            return TRUE
        query = self._tsquery(analyzed)
        if scoring:
            self._add_rank(term, phrase, analyzed, query)
        if analyzed.cjk_query or text.has_lexemes(analyzed.latin):
            # The query has lexemes, so PostgreSQL can use the GIN index on ``words``.
            return Sql("words @@ %s" % query.text, query.params)
        # Text such as "_" may leave PostgreSQL's parser without a lexeme,
        # and an empty tsquery matches nothing where Solr would match all.
        return Sql(
            "(numnode(%s) = 0 OR words @@ %s)" % (query.text, query.text),
            query.params + query.params,
        )

    @classmethod
    def _tsquery(cls, analyzed: text.QueryTerm) -> Sql:
        parts: list[Sql] = []
        if analyzed.cjk_query:
            parts.append(Sql("%s::tsquery", [analyzed.cjk_query]))
        if analyzed.latin:
            function = "phraseto_tsquery" if analyzed.phrase else "plainto_tsquery"
            parts.append(Sql(
                "%s('%s', %%s)" % (function, text.TEXT_SEARCH_CONFIG), [analyzed.latin]
            ))
        query = join(parts, "&&")
        alternatives = [cls._tsquery(alt) for alt in analyzed.alternatives if not alt.empty]
        if not alternatives:
            return query
        return join([query] + alternatives, "||")

    # Tokenised fields other than ``text``.

    def text_field(self, name: str, term: str, phrase: bool) -> Sql:
        if name == "text":
            return self.full_text(term, phrase)
        normalized = text.normalize(term)
        required: list[str] = []
        prefixes: list[str] = []
        if text.has_cjk(normalized):
            for run in re.findall(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+", normalized):
                words = [run] if phrase else list(text.cut_words(run))
                for word in words:
                    if len(word) == 1:
                        prefixes.append(word)
                    else:
                        required.extend(text.bigrams(word))
        required.extend(text.latin_words(re.sub(r"[\u3400-\u9fff\uf900-\ufaff]", " ", normalized)))
        parts: list[Sql] = []
        if required:
            parts.append(Sql("tokens @> %s::jsonb", [json.dumps({name: sorted(set(required))})]))
        for prefix in prefixes:
            parts.append(Sql(
                "EXISTS (SELECT 1 FROM jsonb_array_elements_text(tokens -> %s) AS t(v) "
                "WHERE t.v LIKE %s)",
                [name, _like_escape_all(prefix) + "%"],
            ))
        if phrase and len(normalized.split()) > 1:
            parts.append(Sql("(stored ->> %s) ILIKE %s", [name, "%" + _like_escape_all(term) + "%"]))
        if not parts:
            return TRUE
        return join(parts, "AND")

    def text_wildcard(self, name: str, term: str) -> Sql:
        pattern = _like_pattern(text.normalize(term))
        if name == "text":
            return Sql(
                "EXISTS (SELECT 1 FROM unnest(tsvector_to_array(words)) AS t(v) WHERE t.v LIKE %s)",
                [pattern],
            )
        return Sql(
            "EXISTS (SELECT 1 FROM jsonb_array_elements_text(tokens -> %s) AS t(v) "
            "WHERE t.v LIKE %s)",
            [name, pattern],
        )

    def add_rank_term(self, term: str, phrase: bool) -> None:
        """Rank results by ``term`` without filtering on it."""
        analyzed = text.analyze_term(term, phrase=phrase)
        if not analyzed.empty:
            self._add_rank(term, phrase, analyzed, self._tsquery(analyzed))

    def _add_rank(self, term: str, phrase: bool, analyzed: text.QueryTerm, query: Sql) -> None:
        """Rank by the term as typed, and by its synonyms with a lower weight,
        so that a title containing the very word ranks above one with a synonym."""
        literal = text.analyze_term(term, phrase=phrase, expand=False)
        if literal.empty:
            return
        self.rank_terms.append(self._tsquery(literal))
        if analyzed.alternatives or literal.cjk_query != analyzed.cjk_query:
            self.synonym_rank_terms.append(query)

    # The n-gram copies of ``name`` and ``title``.

    @staticmethod
    def ngram(name: str, term: str) -> Sql:
        """Match like Solr's ``text_ngram``: each white-space separated token of
        ``term`` must be a 2 to 10 character substring of the source field."""
        tokens = term.lower().split()
        if not tokens or any(not NGRAM_MIN <= len(t) <= NGRAM_MAX for t in tokens):
            return FALSE
        source = NGRAM_SOURCES[name]
        return join(
            [Sql("strpos(lower(stored ->> %s), %s) > 0", [source, token]) for token in tokens],
            "AND",
        )

    @staticmethod
    def ngram_wildcard(name: str, term: str) -> Sql:
        pattern = "%" + _like_pattern(term.lower()) + "%"
        return Sql("lower(stored ->> %s) LIKE %s", [NGRAM_SOURCES[name], pattern])

    # Exact string fields.

    def exact(self, name: str, value: str) -> Sql:
        if name in FILTER_COLUMNS:
            return Sql("%s = %%s" % name, [value])
        if name == "permission_labels":
            return self.any_label([value])
        return Sql("fields @> %s::jsonb", [json.dumps({name: [value]})])

    def any_label(self, values: list[str]) -> Sql:
        if self.hide_public_label and PUBLIC_LABEL in values:
            # Nearly every row has the label "public", which CKAN's filter
            # includes for every user but sysadmins, so an index scan of it
            # reads the whole table. Yet with the sequential scan switched off
            # for full-text queries, the planner preferred it to the words
            # index. Concatenating an empty array hides the condition from
            # the index, but also from the column statistics, so queries
            # without full-text terms keep the plain form.
            return Sql("(permission_labels || '{}'::text[]) && %s::text[]", [values])
        return Sql("permission_labels && %s::text[]", [values])

    @staticmethod
    def string_wildcard(name: str, term: str) -> Sql:
        if term == "*":
            return Sql("fields ? %s", [name])
        return Sql(
            "EXISTS (SELECT 1 FROM jsonb_array_elements_text(fields -> %s) AS t(v) "
            "WHERE t.v LIKE %s)",
            [name, _like_pattern(term)],
        )

    # Ranges.

    @staticmethod
    def range(name: str, low: str, high: str, include_low: bool, include_high: bool) -> Sql:
        low, high = unescape(low), unescape(high)
        if is_date_field(name):
            column = DATE_COLUMNS.get(name)
            expression = column or "_tjportal_search_timestamp(fields -> %s ->> 0)"
            params: list[Any] = [] if column else [name]
            parts: list[Sql] = []
            low_value, high_value = parse_date(low), parse_date(high)
            if low_value is not None:
                parts.append(Sql("%s %s %%s" % (expression, ">=" if include_low else ">"), params + [low_value]))
            if high_value is not None:
                parts.append(Sql("%s %s %%s" % (expression, "<=" if include_high else "<"), params + [high_value]))
            if not parts:
                return Sql("fields ? %s", [name]) if not column else TRUE
            return join(parts, "AND")

        numeric = all(v == "*" or _is_number(v) for v in (low, high))
        element = "t.v"
        if numeric:
            element = "(CASE WHEN t.v ~ '^-?[0-9]+(\\.[0-9]+)?$' THEN t.v::numeric END)"
        parts = []
        params = [name]
        if low != "*":
            parts.append("%s %s %%s" % (element, ">=" if include_low else ">"))
            params.append(float(low) if numeric else low)
        if high != "*":
            parts.append("%s %s %%s" % (element, "<=" if include_high else "<"))
            params.append(float(high) if numeric else high)
        condition = " AND ".join(parts) or "TRUE"
        column = "tokens" if is_text_field(name) else "fields"
        return Sql(
            "EXISTS (SELECT 1 FROM jsonb_array_elements_text(%s -> %%s) AS t(v) WHERE %s)"
            % (column, condition),
            params,
        )


def _label_list(node: tree.SearchField) -> Optional[list[str]]:
    """Return the labels of ``permission_labels:(a OR b ...)``, the filter
    CKAN adds to every search, or None for any other form."""
    expr = node.expr
    while isinstance(expr, (tree.Group, tree.FieldGroup)):
        expr = expr.expr
    if isinstance(expr, tree.Word):
        words = [expr]
    elif isinstance(expr, tree.OrOperation):
        words = list(expr.children)
    else:
        return None
    labels = []
    for word in words:
        if not isinstance(word, tree.Word) or has_wildcard(word.value):
            return None
        labels.append(unescape(word.value))
    return labels


def _is_number(value: str) -> bool:
    return bool(re.match(r"^-?\d+(\.\d+)?$", value))


def _like_escape_all(value: str) -> str:
    return "".join(_like_escape(c) for c in value)


class LuceneTranslator:
    """Translate a luqum tree into a SQL condition."""

    def __init__(self, default_field: str = "text", default_operator: str = "AND",
                 matcher: Optional[TermMatcher] = None) -> None:
        self.default_field = check_field_name(default_field)
        self.default_operator = default_operator.upper()
        if self.default_operator not in ("AND", "OR"):
            raise SearchQueryError(
                tk._("Invalid default operator (q.op) %r: use AND or OR") % default_operator[:20]
            )
        self.matcher = matcher or TermMatcher()
        self._depth = 0
        self._terms = 0

    def translate(self, query: str) -> Sql:
        query = query.strip()
        if not query:
            return TRUE
        try:
            node = _parse(query)
        except (ParseError, TypeError, ValueError, AttributeError, IndexError) as error:
            raise SearchQueryError("Invalid search query %r: %s" % (query[:200], error))
        return self.node(node, None)

    # Boolean structure.

    def node(self, node: tree.Item, field_name: Optional[str]) -> Sql:
        self._depth += 1
        try:
            if self._depth > MAX_NESTING:
                raise SearchQueryError(
                    tk._("Invalid search query: brackets or operators nested more than %d deep")
                    % MAX_NESTING
                )
            return self._node(node, field_name)
        finally:
            self._depth -= 1

    def _count_term(self) -> None:
        self._terms += 1
        if self._terms > MAX_CLAUSES:
            raise SearchQueryError(tk._("Invalid search query: more than %d terms") % MAX_CLAUSES)

    def _node(self, node: tree.Item, field_name: Optional[str]) -> Sql:
        if isinstance(node, (tree.AndOperation, tree.OrOperation, tree.UnknownOperation)):
            return self.boolean(node, field_name)
        if isinstance(node, (tree.Group, tree.FieldGroup)):
            return self.node(node.expr, field_name)
        if isinstance(node, tree.SearchField):
            name = node.name
            if name == "*":
                if isinstance(node.expr, tree.Word) and node.expr.value == "*":
                    return TRUE
                raise SearchQueryError("Invalid search query: '*' is only valid as '*:*'")
            labels = _label_list(node) if name == "permission_labels" else None
            if labels:
                self._terms += len(labels) - 1
                self._count_term()
                return self.matcher.any_label(labels)
            return self.node(node.expr, check_field_name(name))
        if isinstance(node, tree.Boost):
            return self.node(node.expr, field_name)
        if isinstance(node, (tree.Not, tree.Prohibit)):
            return negate(self.node(node.a, field_name))
        if isinstance(node, tree.Plus):
            return self.node(node.a, field_name)
        if isinstance(node, tree.Word):
            self._count_term()
            return self.word(node.value, field_name or self.default_field)
        if isinstance(node, tree.Phrase):
            self._count_term()
            return self.phrase(node.value[1:-1], field_name or self.default_field)
        if isinstance(node, tree.Range):
            self._count_term()
            return self.matcher.range(
                field_name or self.default_field,
                str(node.low.value), str(node.high.value),
                bool(node.include_low), bool(node.include_high),
            )
        if isinstance(node, (tree.Fuzzy, tree.Proximity)):
            raise SearchQueryError("Fuzzy and proximity searches (~) are not supported")
        if isinstance(node, tree.Regex):
            raise SearchQueryError("Regular expression searches are not supported")
        raise SearchQueryError("Unsupported search syntax: %s" % str(node)[:200])

    def boolean(self, node: tree.BaseOperation, field_name: Optional[str]) -> Sql:
        if isinstance(node, tree.AndOperation):
            operator = "AND"
        elif isinstance(node, tree.OrOperation):
            operator = "OR"
        else:
            operator = self.default_operator
        must: list[Sql] = []
        should: list[Sql] = []
        must_not: list[Sql] = []
        for child in node.children:
            if isinstance(child, (tree.Not, tree.Prohibit)):
                must_not.append(self.node(child.a, field_name))
            elif isinstance(child, tree.Plus) or operator == "AND":
                must.append(self.node(child, field_name))
            else:
                should.append(self.node(child, field_name))
        parts = list(must)
        if should and not must:
            parts.append(join(should, "OR"))
        parts.extend(negate(p) for p in must_not)
        return join(parts, "AND")

    # Terms.

    def word(self, value: str, field_name: str) -> Sql:
        if field_name == "*":
            raise SearchQueryError("Invalid search query: '*' is only valid as '*:*'")
        if has_wildcard(value):
            if field_name in NGRAM_SOURCES:
                return self.matcher.ngram_wildcard(field_name, value)
            if is_text_field(field_name):
                return self.matcher.text_wildcard(field_name, value)
            return self.matcher.string_wildcard(field_name, value)
        return self.literal(unescape(value), field_name, phrase=False)

    def phrase(self, value: str, field_name: str) -> Sql:
        return self.literal(value.replace('\\"', '"'), field_name, phrase=True)

    def literal(self, value: str, field_name: str, phrase: bool) -> Sql:
        """Match ``value`` as written, without wildcards, by the type of the field."""
        if field_name in NGRAM_SOURCES:
            return self.matcher.ngram(field_name, value)
        if is_text_field(field_name):
            return self.matcher.text_field(field_name, value, phrase=phrase)
        return self.exact(field_name, value)

    def exact(self, field_name: str, value: str) -> Sql:
        if field_name in DATE_COLUMNS or (is_date_field(field_name) and value != "*"):
            moment = parse_date(value)
            return self.matcher.range(field_name, value, value, True, True) if moment else TRUE
        return self.matcher.exact(field_name, value)
