"""A pysolr-compatible connection that keeps CKAN's search index in PostgreSQL.

CKAN builds every search (query parsing, permission labels, facets, paging)
in ``ckan.lib.search`` and hands the finished Solr parameters to the object
returned by ``ckan.lib.search.common.make_connection``. :func:`install` makes
that function return a :class:`PostgresSearchConnection`, so CKAN's own code
stays in charge and only the last step, running the query, moves from Solr to
PostgreSQL. This module is the only place that patches CKAN.
"""
from __future__ import annotations

import contextlib
import logging
import re
from typing import Any, Iterator, Optional

import psycopg2
import psycopg2.errors

import ckan.plugins.toolkit as tk
from ckan.lib.search.common import SearchError, SearchIndexError, SearchQueryError

from . import documents, lucene, text

log = logging.getLogger(__name__)

TABLE = "tjportal_search_document"
MISSING_TABLE_MESSAGE = (
    "The search index table is missing: run `ckan db upgrade -p tjportal_search`."
)
# Ranking weights for the D, C, B and A parts of the full-text vector.
RANK_WEIGHTS = "{0.1, 0.2, 0.4, 1.0}"
# Numeric fields of CKAN's Solr schema; they sort as numbers.
NUMERIC_SORT_FIELDS = frozenset({
    "views_total", "views_recent", "resources_accessed_total",
    "resources_accessed_recent", "num_resources", "num_tags",
})
SORT_COLUMNS = {
    "metadata_modified": "d.metadata_modified",
    "metadata_created": "d.metadata_created",
    "title_string": "d.title_sort",
    "name": "d.name",
    "id": "d.id",
    "index_id": "d.index_id",
}
DEFAULT_FACET_LIMIT = 50


class SearchResults:
    """The parts of ``pysolr.Results`` that CKAN reads."""

    def __init__(self, docs: list[dict[str, Any]], hits: int,
                 facets: dict[str, Any]) -> None:
        self.docs = docs
        self.hits = hits
        self.facets = facets
        self.raw_response = {"response": {"numFound": hits, "docs": docs}}
        self.highlighting: dict[str, Any] = {}
        self.stats: dict[str, Any] = {}
        self.spellcheck: dict[str, Any] = {}
        self.debug: dict[str, Any] = {}
        self.grouped: dict[str, Any] = {}
        self.qtime = None

    def __len__(self) -> int:
        return len(self.docs)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.docs)


@contextlib.contextmanager
def _cursor() -> Iterator[Any]:
    """Yield a cursor in its own transaction, committed when the block ends."""
    from ckan.model import meta

    connection = meta.engine.raw_connection()
    try:
        cursor = connection.cursor()
        yield cursor
        connection.commit()
    except BaseException:
        connection.rollback()
        raise
    finally:
        connection.close()


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value if v is not None and str(v).strip()]
    return [str(value)] if str(value).strip() else []


def _int_param(params: dict[str, Any], name: str, default: int) -> int:
    value = params.get(name, default)
    try:
        return int(value)
    except (TypeError, ValueError):
        raise SearchQueryError("Invalid %s parameter: %r" % (name, str(value)[:50]))


class PostgresSearchConnection:
    """Runs the Solr requests CKAN makes against ``tjportal_search_document``."""

    url = "tjportal_search (PostgreSQL)"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    # Writes

    def add(self, docs: list[dict[str, Any]], commit: bool = True, **kwargs: Any) -> str:
        rows = [documents.document_row(doc) for doc in docs]
        if not rows:
            return ""
        try:
            with _cursor() as cursor:
                for row in rows:
                    cursor.execute(documents.UPSERT_SQL, row)
        except psycopg2.errors.UndefinedTable:
            raise SearchIndexError(MISSING_TABLE_MESSAGE)
        except psycopg2.Error as error:
            log.exception("Indexing %d search documents failed", len(rows))
            raise SearchIndexError("Indexing failed: %s" % (error.pgerror or error))
        log.debug("Indexed %d search documents", len(rows))
        return ""

    def delete(self, id: Optional[Any] = None, q: Optional[str] = None,
               commit: bool = True, **kwargs: Any) -> str:
        if id is None and q is None:
            raise SearchIndexError("Deleting from the search index needs an id or a query")
        if id is not None:
            ids = id if isinstance(id, (list, tuple)) else [id]
            condition = lucene.Sql("index_id = ANY(%s)", [list(map(str, ids))])
        else:
            translator = lucene.LuceneTranslator(default_operator="OR")
            condition = translator.translate(q or "")
        try:
            with _cursor() as cursor:
                cursor.execute("DELETE FROM %s WHERE %s" % (TABLE, condition.text), condition.params)
                log.debug("Deleted %d search documents", cursor.rowcount)
        except psycopg2.errors.UndefinedTable:
            raise SearchIndexError(MISSING_TABLE_MESSAGE)
        return ""

    def commit(self, *args: Any, **kwargs: Any) -> str:
        # Every write is committed when it is made.
        return ""

    def optimize(self, *args: Any, **kwargs: Any) -> str:
        return ""

    # Reads

    def search(self, q: Optional[str] = None, **params: Any) -> SearchResults:
        if q is None:
            q = params.pop("q", None)
        query = SqlSearch(q or "*:*", params)
        try:
            return query.run()
        except psycopg2.errors.UndefinedTable:
            raise SearchError(MISSING_TABLE_MESSAGE)
        except (psycopg2.errors.SyntaxError, psycopg2.errors.InvalidTextRepresentation,
                psycopg2.errors.DataException) as error:
            log.info("Search query rejected by PostgreSQL: %s", error)
            raise SearchQueryError("Invalid search query: %s" % str(q)[:200])


class SqlSearch:
    """One search request, translated into SQL."""

    def __init__(self, q: str, params: dict[str, Any]) -> None:
        self.q = str(q)
        self.params = params
        self.matcher = lucene.TermMatcher()

    def where(self) -> lucene.Sql:
        parts = [self._query_condition()]
        default_operator = str(self.params.get("q.op") or "AND")
        for fq in _as_list(self.params.get("fq")):
            self._reject_local_params(fq)
            translator = lucene.LuceneTranslator(
                default_operator=default_operator,
                matcher=lucene.TermMatcher(),
            )
            parts.append(translator.translate(fq))
        return lucene._join(parts, "AND")

    @staticmethod
    def _reject_local_params(value: str) -> None:
        if value.lstrip().startswith("{!"):
            raise SearchQueryError("Local parameters are not supported: %s" % value[:100])

    def _query_condition(self) -> lucene.Sql:
        q = self.q.strip()
        self._reject_local_params(q)
        def_type = str(self.params.get("defType") or "lucene")
        if q in ("*:*", "*", ""):
            return lucene.TRUE
        if def_type == "dismax":
            return lucene.translate_dismax(q, self.matcher)
        translator = lucene.LuceneTranslator(
            default_field=str(self.params.get("df") or "text"),
            default_operator=str(self.params.get("q.op") or "AND"),
            matcher=self.matcher,
        )
        if def_type == "edismax":
            try:
                return translator.translate(q)
            except SearchQueryError:
                return lucene.translate_dismax(q, self.matcher)
        return translator.translate(q)

    def rank(self) -> lucene.Sql:
        terms = self.matcher.rank_terms
        if not terms:
            return lucene.Sql("1.0::real")
        query = lucene._join(terms, "||")
        return lucene.Sql("ts_rank(%%s::real[], d.words, %s)" % query.text, [RANK_WEIGHTS] + query.params)

    def order_by(self) -> lucene.Sql:
        sort = str(self.params.get("sort") or "score desc").strip()
        clauses: list[str] = []
        params: list[Any] = []
        for part in sort.split(","):
            words = part.split()
            if not words:
                continue
            if len(words) != 2 or words[1].lower() not in ("asc", "desc"):
                raise SearchQueryError('Invalid "sort" parameter: %s' % sort[:200])
            field_name, direction = words[0], words[1].upper()
            if field_name == "score":
                clauses.append("score %s" % direction)
                continue
            column = SORT_COLUMNS.get(field_name)
            if column is None:
                lucene.check_field_name(field_name)
                if field_name in NUMERIC_SORT_FIELDS:
                    column = ("(CASE WHEN d.fields -> %s ->> 0 ~ '^-?[0-9]+(\\.[0-9]+)?$' "
                              "THEN (d.fields -> %s ->> 0)::numeric END)")
                    params.extend([field_name, field_name])
                else:
                    column = "(d.fields -> %s ->> 0)"
                    params.append(field_name)
            if column == "d.title_sort":
                column = 'd.title_sort COLLATE "C"'
            clauses.append("%s %s NULLS LAST" % (column, direction))
        clauses.append("d.seq ASC")
        return lucene.Sql(", ".join(clauses), params)

    def run(self) -> SearchResults:
        rows = _int_param(self.params, "rows", 10)
        start = _int_param(self.params, "start", 0)
        if rows < 0 or start < 0:
            raise SearchQueryError("rows and start must not be negative")
        where = self.where()
        rank = self.rank()
        order = self.order_by()
        fields_wanted = self._field_list()

        with _cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM %s d WHERE %s" % (TABLE, where.text), where.params
            )
            hits = cursor.fetchone()[0]

            docs: list[dict[str, Any]] = []
            if rows > 0 and start < hits:
                cursor.execute(
                    "SELECT d.stored, %s AS score FROM %s d WHERE %s ORDER BY %s LIMIT %%s OFFSET %%s"
                    % (rank.text, TABLE, where.text, order.text),
                    rank.params + where.params + order.params + [rows, start],
                )
                docs = [self._project(stored, score, fields_wanted) for stored, score in cursor.fetchall()]

            facets = {"facet_fields": {}, "facet_queries": {}, "facet_ranges": {}}
            if str(self.params.get("facet", "false")).lower() == "true":
                facets["facet_fields"] = self._facets(cursor, where)
        return SearchResults(docs, hits, facets)

    def _field_list(self) -> Optional[set[str]]:
        fl = self.params.get("fl")
        if not fl:
            return None
        names: set[str] = set()
        for value in _as_list(fl):
            names.update(n for n in re.split(r"[\s,]+", value) if n)
        if "*" in names:
            return None if "score" not in names else {"*", "score"}
        return names

    @staticmethod
    def _project(stored: dict[str, Any], score: float,
                 wanted: Optional[set[str]]) -> dict[str, Any]:
        if wanted is None:
            doc = dict(stored)
            doc.pop("permission_labels", None)
            doc.pop("text", None)
            return doc
        if "*" in wanted:
            doc = dict(stored)
            doc.pop("permission_labels", None)
            doc.pop("text", None)
        else:
            doc = {k: stored[k] for k in wanted if k in stored}
        if "score" in wanted:
            doc["score"] = float(score)
        return doc

    def _facets(self, cursor: Any, where: lucene.Sql) -> dict[str, list[Any]]:
        result: dict[str, list[Any]] = {}
        limit = _int_param(self.params, "facet.limit", DEFAULT_FACET_LIMIT)
        mincount = max(_int_param(self.params, "facet.mincount", 0), 1)
        facet_sort = str(self.params.get("facet.sort") or ("count" if limit >= 0 else "index"))
        order = "count(*) DESC, t.v ASC" if facet_sort == "count" else "t.v ASC"
        for field_name in _as_list(self.params.get("facet.field")):
            lucene.check_field_name(field_name)
            sql = (
                "SELECT t.v, count(*) FROM %s d, jsonb_array_elements_text(d.fields -> %%s) AS t(v) "
                "WHERE %s GROUP BY t.v HAVING count(*) >= %%s ORDER BY %s"
                % (TABLE, where.text, order)
            )
            params = [field_name] + where.params + [mincount]
            if limit >= 0:
                sql += " LIMIT %s"
                params.append(limit)
            cursor.execute(sql, params)
            counts: list[Any] = []
            for value, count in cursor.fetchall():
                counts.extend([value, count])
            result[field_name] = counts
        return result


_installed = False


def make_connection(decode_dates: bool = True) -> PostgresSearchConnection:
    """Replacement for ``ckan.lib.search.common.make_connection``."""
    return PostgresSearchConnection()


def check_schema_version(schema_file: Optional[str] = None) -> bool:
    """Replacement for CKAN's Solr schema check: there is no Solr schema to check."""
    return True


def install() -> None:
    """Route CKAN's search module to PostgreSQL for the rest of the process.

    The patch stays when the plugin is unloaded: CKAN's test runner unloads
    every plugin after start-up and reloads them per test, and the index must
    keep working in between.
    """
    global _installed
    if _installed:
        return
    import ckan.lib.search as search
    from ckan.lib.search import common, index, query

    for module in (common, index, query, search):
        module.make_connection = make_connection  # type: ignore[attr-defined]
    search.check_solr_schema_version = check_schema_version  # type: ignore[assignment]

    dictionary = tk.config.get("ckanext.tjportal.search.user_dictionary")
    if dictionary:
        text.load_user_dictionary(dictionary)
    _installed = True
    log.info("CKAN search now runs on PostgreSQL (tjportal_search)")
