"""Solr query parsers on top of the Lucene translation: DisMax, eDisMax, bool
and local parameters (``{!type key=value}``).

CKAN sends free text typed in the search box with ``defType=dismax`` and
fielded queries with the standard Lucene parser. Local parameters reach the
backend only when the site allows their parser in
``ckan.search.solr_allowed_query_parsers``; CKAN rejects all others first.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Mapping, Optional

import ckan.plugins.toolkit as tk
from ckan.lib.search.common import SearchError, SearchQueryError

from . import text
from .lucene import (
    FALSE, MAX_CLAUSES, MAX_NESTING, LuceneTranslator, Sql, TermMatcher,
    check_field_name, join, negate,
)

SUPPORTED_PARSERS = ("lucene", "dismax", "edismax", "bool")
# CKAN's default minimum-should-match for DisMax (``mm`` in ckan/lib/search/query.py).
DEFAULT_MM = "2<-1 5<80%"
BOOL_CLAUSES = ("must", "should", "must_not", "filter")


@dataclass
class LocalParams:
    """The parts of a ``{!type key=value ...}body`` query."""

    parser: Optional[str]
    options: dict[str, list[str]] = field(default_factory=dict)
    body: str = ""

    def option(self, name: str) -> Optional[str]:
        values = self.options.get(name)
        return values[-1] if values else None


_LOCAL_PARAM = re.compile(
    r"""(?P<key>[A-Za-z0-9_.]+)\s*=\s*
        (?:'(?P<single>(?:[^'\\]|\\.)*)'|"(?P<double>(?:[^"\\]|\\.)*)"|(?P<bare>[^\s'"}]+))
      |(?P<word>[A-Za-z0-9_.]+)""",
    re.VERBOSE | re.DOTALL,
)


def split_local_params(value: str, request: Mapping[str, Any]) -> Optional[LocalParams]:
    """Parse the local parameters at the start of ``value``; None when it has none.

    A value written ``$name`` is taken from the request parameter ``name``, as
    Solr does. The parser type is the first bare word or ``type=``, and ``v=``
    replaces the text after the closing brace.
    """
    source = value.lstrip()
    if not source.startswith("{!"):
        return None
    local = LocalParams(parser=None)
    position = 2
    first = True
    while True:
        while position < len(source) and source[position].isspace():
            position += 1
        if position >= len(source):
            raise SearchQueryError(tk._("Invalid local parameters in %r: missing '}'") % source[:200])
        if source[position] == "}":
            position += 1
            break
        match = _LOCAL_PARAM.match(source, position)
        if not match:
            raise SearchQueryError(
                tk._("Invalid local parameters in %r at position %d") % (source[:200], position)
            )
        if match.group("word"):
            if not first:
                raise SearchQueryError(
                    tk._("Invalid local parameters in %r: only the parser type may stand "
                         "without a value") % source[:200]
                )
            local.parser = match.group("word")
        else:
            local.options.setdefault(match.group("key"), []).append(
                _local_param_value(match, request)
            )
        first = False
        position = match.end()

    parser_type = local.option("type")
    if parser_type:
        local.parser = parser_type
    local.body = local.option("v") if "v" in local.options else source[position:]
    return local


def _local_param_value(match: re.Match, request: Mapping[str, Any]) -> str:
    for group in ("single", "double"):
        quoted = match.group(group)
        if quoted is not None:
            return re.sub(r"\\(.)", r"\1", quoted)
    bare = match.group("bare")
    if bare.startswith("$"):
        referenced = request.get(bare[1:])
        if isinstance(referenced, (list, tuple)):
            referenced = referenced[0] if referenced else None
        return "" if referenced is None else str(referenced)
    return bare


class QueryParser:
    """Translate the ``q`` and ``fq`` values of one request into SQL conditions.

    ``request`` contains the Solr parameters. Its ``df``, ``q.op``, ``qf`` and
    ``mm`` apply unless local parameters override them. ``matcher`` collects
    the full-text terms of every clause for ranking.
    """

    def __init__(self, request: Mapping[str, Any], matcher: TermMatcher) -> None:
        self.request = request
        self.matcher = matcher

    def translate(self, value: str, default_parser: str, depth: int = 0) -> Sql:
        if depth > MAX_NESTING:
            raise SearchQueryError(tk._("Invalid search query: local parameters nested too deeply"))
        local = split_local_params(value, self.request)
        if local is None:
            local = LocalParams(parser=None, body=value)
        parser = local.parser or default_parser
        if parser == "lucene":
            return self._lucene(local)
        if parser == "dismax":
            return self._dismax(local)
        if parser == "edismax":
            try:
                return self._lucene(local)
            except SearchQueryError:
                return self._dismax(local)
        if parser == "bool":
            return self._bool(local, depth)
        raise SearchQueryError(
            tk._("Query parser %r is not supported by this search backend; use one of: %s")
            % (parser[:50], ", ".join(SUPPORTED_PARSERS))
        )

    def _setting(self, local: LocalParams, name: str, default: str) -> str:
        value = local.option(name)
        if value is None:
            value = self.request.get(name)
        return str(value) if value not in (None, "") else default

    def _lucene(self, local: LocalParams) -> Sql:
        translator = LuceneTranslator(
            default_field=self._setting(local, "df", "text"),
            default_operator=self._setting(local, "q.op", "AND"),
            matcher=self.matcher,
        )
        return translator.translate(local.body)

    def _bool(self, local: LocalParams, depth: int) -> Sql:
        clauses = {
            name: [self.translate(v, "lucene", depth + 1) for v in local.options.get(name, [])]
            for name in BOOL_CLAUSES
        }
        required = clauses["must"] + clauses["filter"]
        parts = list(required)
        if clauses["should"] and not required:
            parts.append(join(clauses["should"], "OR"))
        parts.extend(negate(clause) for clause in clauses["must_not"])
        if not parts:
            # Solr's bool parser without clauses matches no document.
            return FALSE
        # NOTE: a query of must_not clauses alone matches every other dataset
        # here, as the Lucene parser does for "-term"; Solr's bool parser may
        # match nothing in that case.
        return join(parts, "AND")

    def _dismax(self, local: LocalParams) -> Sql:
        fields = query_fields(self._setting(local, "qf", "text"))
        mm = self._setting(local, "mm", DEFAULT_MM)
        return translate_dismax(local.body, fields, mm, self.matcher)


def query_fields(qf: str) -> list[str]:
    """Return the field names of a ``qf`` value such as ``name^4 title^4 text``."""
    names = [part.split("^", 1)[0] for part in qf.split()]
    fields = [check_field_name(name) for name in names if name]
    return fields or ["text"]


# DisMax: free text typed by users, with optional "phrases", +must and -not.
_DISMAX_TOKEN = re.compile(r'([+-]?)"([^"]*)"|([+-]?)(\S+)')
# Operators Solr's DisMax parser removes before parsing: a run of + and -
# after white space (the first operator may be followed by more), and any
# operators at the end of the query.
_REPEATED_OPERATORS = re.compile(r"\s+[+-](?:\s*[+-]+)+")
_TRAILING_OPERATORS = re.compile(r"\s+[-+\s]+$")


def dismax_clauses(query: str) -> tuple[list[tuple[str, bool]], list[tuple[str, bool]], list[tuple[str, bool]]]:
    """Split a DisMax query into (optional, required, prohibited) terms.

    Each term is ``(text, is_phrase)``. An unbalanced quote is read as text.
    Raises SearchError, as Solr does, when the query starts with two
    operators (``--x``, ``+-x``).
    """
    query = _TRAILING_OPERATORS.sub("", _REPEATED_OPERATORS.sub(" ", query))
    if re.match(r"\s*[+-]\s*[+-]", query):
        # SearchError rather than SearchQueryError: CKAN's search page shows
        # its own error message for it instead of a 400 page, because the text
        # comes from the search box.
        raise SearchError(
            tk._("Invalid search query %r: two operators (+ or -) in a row") % query[:200]
        )
    optional: list[tuple[str, bool]] = []
    required: list[tuple[str, bool]] = []
    prohibited: list[tuple[str, bool]] = []
    for match in _DISMAX_TOKEN.finditer(query):
        if match.group(2) is not None:
            sign, term, phrase = match.group(1), match.group(2), True
        else:
            sign, term, phrase = match.group(3), match.group(4), False
        term = term.strip()
        if not phrase:
            term = term.strip('"')
        if not term or term in ("AND", "OR", "&&", "||"):
            continue
        target = {"+": required, "-": prohibited}.get(sign, optional)
        target.append((term, phrase))
    if len(optional) + len(required) + len(prohibited) > MAX_CLAUSES:
        raise SearchQueryError(tk._("Invalid search query: more than %d terms") % MAX_CLAUSES)
    return optional, required, prohibited


def minimum_should_match(count: int, spec: str = DEFAULT_MM) -> int:
    """Return how many of ``count`` optional clauses must match under the ``mm`` spec.

    The spec is Solr's: ``3`` (at least 3), ``-1`` (all but one), ``75%``,
    ``-25%``, or conditions such as ``2<-1 5<80%``, where ``n<spec`` applies
    ``spec`` only when there are more than ``n`` clauses and all are required
    otherwise. Raises SearchQueryError for any other text.
    """
    spec = spec.strip()
    if "<" in spec:
        needed = count
        for condition in re.sub(r"\s*<\s*", "<", spec).split():
            bound, _, rule = condition.partition("<")
            if not rule:
                raise SearchQueryError(tk._("Invalid mm value %r: expected a value after '<'") % spec[:100])
            if count <= _mm_integer(bound, spec):
                return needed
            needed = minimum_should_match(count, rule)
        return needed

    if spec.endswith("%"):
        percent = _mm_integer(spec[:-1], spec)
        share = int(count * percent / 100)  # truncates toward zero, as Solr does
        needed = count + share if percent < 0 else share
    else:
        number = _mm_integer(spec, spec)
        needed = count + number if number < 0 else number
    return min(max(needed, 0), count)


def _mm_integer(value: str, spec: str) -> int:
    if not re.fullmatch(r"-?\d{1,9}", value.strip()):
        raise SearchQueryError(tk._("Invalid mm value %r: expected an integer in %r") % (value[:20], spec[:100]))
    return int(value)


def translate_dismax(query: str, fields: list[str], mm: str, matcher: TermMatcher) -> Sql:
    """Translate a DisMax query whose terms may match in any of ``fields``."""
    optional, required, prohibited = dismax_clauses(query)
    if "text" in fields:
        # Terms that analyse to nothing ("-", "&") would match every
        # document; Solr drops such clauses, and so does this.
        optional = [(t, p) for t, p in optional if not text.analyze_term(t, phrase=p).empty]

    def term_condition(term: str, phrase: bool, scoring: bool = True) -> Sql:
        if "text" in fields:
            # ``text`` receives a copy of every other searchable field.
            return matcher.full_text(term, phrase, scoring)
        if scoring:
            matcher.add_rank_term(term, phrase)
        translator = LuceneTranslator(matcher=matcher)
        return join([translator.literal(term, name, phrase) for name in fields], "OR")

    parts = [term_condition(term, phrase) for term, phrase in required]
    optional_sql = [term_condition(term, phrase) for term, phrase in optional]
    if optional_sql:
        needed = minimum_should_match(len(optional_sql), mm)
        if needed == 0 and not parts:
            # Without required clauses Lucene needs one optional clause to match.
            needed = 1
        if needed == len(optional_sql):
            parts.extend(optional_sql)
        elif needed > 0:
            params: list[Any] = []
            for part in optional_sql:
                params.extend(part.params)
            parts.append(Sql(
                "((%s) >= %d)" % (
                    " + ".join("COALESCE((%s)::int, 0)" % p.text for p in optional_sql), needed
                ),
                params,
            ))
    parts.extend(negate(term_condition(term, phrase, scoring=False)) for term, phrase in prohibited)
    return join(parts, "AND")
