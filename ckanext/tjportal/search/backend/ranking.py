"""Rank full-text matches, reading only title matches when that is provably enough.

Results are ordered by ``ts_rank`` over ``rank_words`` with the weights of
:data:`WEIGHTS`. For one query lexeme with positions 0, 1, ... of weights
w_0, w_1, ..., PostgreSQL 15's ``ts_rank`` (``calc_rank_or`` in
``src/backend/utils/adt/tsrank.c``) scores

    (w_m + sum over l != m of w_l / (l + 1)^2) / zeta(2),  zeta(2) = pi^2 / 6

where m is the first position of the highest weight, and it averages that
over the distinct lexemes of the query. ``rank_words`` contains the title
(A = 1.0), tags (B = 0.4) and description (C = 0.2). Whatever the order of
the positions, a lexeme without a title position therefore scores less than
0.4 * (1 + zeta(2)) / zeta(2) = 0.643, and so does a row whose title contains
none of the query's lexemes (times 1 + the synonym share when synonyms are
ranked too).

When the requested page, ranked among the rows whose title contains a query
lexeme, ends with a score above that bound, no other row can come before its
last row, so the page is the same as ranking every match. Otherwise the
caller ranks every match. The title lexemes come from ``title_words``, which
has a GIN index, so this first try reads a few thousand rows where a common
word matches tens of thousands.
"""
from __future__ import annotations

import math
import re
from typing import Any, Optional

from . import cache, lucene

# Weights of the D, C, B and A parts of ``rank_words``, in ts_rank's order.
WEIGHTS = (0.1, 0.2, 0.4, 1.0)
RANK_WEIGHTS = "{%s}" % ", ".join(str(weight) for weight in WEIGHTS)
# Weight of the rank by a term's synonyms relative to the term as typed.
SYNONYM_RANK_SHARE = 0.2
# pi^2 / 6, by which ts_rank divides.
ZETA_2 = math.pi ** 2 / 6
# Upper bound of one lexeme's score outside the title; see the module docstring.
MAX_SCORE_OUTSIDE_TITLE = max(WEIGHTS[:3]) * (1 + ZETA_2) / ZETA_2
# Margin for the float4 arithmetic of ts_rank.
SCORE_MARGIN = 1e-3
# Quoted lexemes of a tsquery's text form, with a weight or prefix suffix.
_LEXEME = re.compile(r"'(?:[^']|'')*'(:[*A-D]+)?")
# Limits of a title-first try: the title matches it ranks, and the end of the
# requested page. Beyond either, ranking every match at once is cheaper.
MAX_TITLE_CANDIDATES = 3000
MAX_TITLE_FIRST_DEPTH = 1000


def score_bound(with_synonyms: bool) -> float:
    """Return a score above that of any row without a query lexeme in its title."""
    bound = MAX_SCORE_OUTSIDE_TITLE
    if with_synonyms:
        bound *= 1 + SYNONYM_RANK_SHARE
    return bound + SCORE_MARGIN


def _top_level_operators(query_text: str) -> set[str]:
    """Return the operators of a tsquery's text form outside brackets and quotes."""
    operators: set[str] = set()
    depth = 0
    index = 0
    while index < len(query_text):
        char = query_text[index]
        if char == "'":
            match = _LEXEME.match(query_text, index)
            index = match.end() if match else len(query_text)
            continue
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif depth == 0 and char in "|&<":
            operators.add(char)
        index += 1
    return operators


def title_lexemes(cursor: Any, terms: list[lucene.Sql]) -> Optional[set[str]]:
    """Return the lexemes of ``terms`` joined by ``||``, in tsquery syntax, or
    None when the bound of this module does not hold for that query.

    The bound needs ts_rank's ``calc_rank_or``, which PostgreSQL uses unless
    the query's top operator is AND (``&``) or a phrase (``<->``), and plain
    lexemes: a prefix (``:*``) can match several lexemes of one row, and a
    weight restriction changes which positions count.
    """
    query = lucene.join(terms, "||")
    cursor.execute("SELECT (%s)::text" % query.text, query.params)
    query_text = cursor.fetchone()[0] or ""
    operators = _top_level_operators(query_text)
    if operators and "|" not in operators:
        return None
    lexemes: set[str] = set()
    for match in _LEXEME.finditer(query_text):
        if match.group(1):
            return None
        lexemes.add(match.group(0))
    return lexemes or None


def title_first_page(cursor: Any, state: tuple[Any, ...], stored: lucene.Sql, where: lucene.Sql,
                     rank: lucene.Sql, order: lucene.Sql, title_tsquery: str, rows: int, start: int,
                     hits: int, with_synonyms: bool) -> Optional[list[tuple[Any, float]]]:
    """Return ``(stored, score)`` of the page ranked among the title matches,
    or None when that page may differ from ranking every match.

    ``state`` is the index state of :mod:`.cache`, which keeps the number of
    title matches until the next index write. ``stored`` is the SQL of the
    stored document to return.
    """
    if rows <= 0 or start + rows > MAX_TITLE_FIRST_DEPTH:
        return None
    # Title matches before any filter, counted from the index alone where
    # the visibility map allows; there are at least as many as below.
    count_sql = (
        "SELECT count(*) FROM (SELECT 1 FROM tjportal_search_document"
        " WHERE title_words @@ %s::tsquery LIMIT %s) t"
    )
    count_params = [title_tsquery, MAX_TITLE_CANDIDATES + 1]
    candidates = cache.query(
        cursor, state, "title_candidates", count_sql, count_params, lambda c: c.fetchone()[0]
    )
    if candidates > MAX_TITLE_CANDIDATES:
        return None
    sql = (
        "SELECT %s, %s AS score, count(*) OVER () FROM ("
        " SELECT * FROM tjportal_search_document d"
        " WHERE %s AND d.title_words @@ %%s::tsquery"
        ") d ORDER BY %s LIMIT %%s OFFSET %%s" % (stored.text, rank.text, where.text, order.text)
    )
    cursor.execute(
        sql, stored.params + rank.params + where.params + [title_tsquery] + order.params + [rows, start]
    )
    page = cursor.fetchall()
    candidates = page[0][2] if page else 0
    result = [(stored, score) for stored, score, _ in page]
    if candidates >= hits:
        # Every match has a query lexeme in its title.
        return result
    if len(page) < rows or page[-1][1] <= score_bound(with_synonyms):
        return None
    return result
