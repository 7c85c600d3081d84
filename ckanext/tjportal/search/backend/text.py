"""Text analysis for the PostgreSQL search backend.

Chinese text is indexed twice: as the overlapping two-character tokens
(bigrams) of every run of CJK characters, in order, so that any two adjacent
characters of a title find it and a longer query can be matched as a phrase;
and as jieba's search-mode words, so that whole words rank higher. Latin
letters and digits are left to the PostgreSQL text search configuration
:data:`TEXT_SEARCH_CONFIG` (lower-casing and stemming), so index and query
agree.

Everything is folded first with NFKC, which maps full-width letters, digits and
punctuation to their half-width forms.
"""
from __future__ import annotations

import logging
import re
import threading
import unicodedata
from dataclasses import dataclass, field
from typing import Iterable

log = logging.getLogger(__name__)

# PostgreSQL's ``english`` configuration with its stop-word list removed, like
# the Snowball stemming of CKAN's Solr ``text`` field, which keeps stop words.
# Created by the migration 5f3b9c1d7e42.
TEXT_SEARCH_CONFIG = "tjportal_search_english"

# CJK Unified Ideographs with extension A and the compatibility block.
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_RUN = re.compile("[%s]+" % _CJK)
_NON_CJK_RUN = re.compile("[^%s]+" % _CJK)
_WORD_CHARS = re.compile(r"\w", re.UNICODE)

_jieba_lock = threading.Lock()
_jieba_ready = False


def _jieba():
    """Return the jieba module, initialised once per process."""
    global _jieba_ready
    import jieba

    if not _jieba_ready:
        with _jieba_lock:
            if not _jieba_ready:
                jieba.setLogLevel(logging.WARNING)
                jieba.initialize()
                _jieba_ready = True
    return jieba


def load_user_dictionary(path: str) -> None:
    """Add the words of a jieba dictionary file to the segmenter."""
    _jieba().load_userdict(path)
    log.info("Loaded jieba user dictionary %s", path)


def normalize(text: str) -> str:
    """Fold full-width forms to half-width (NFKC) and lower-case ``text``."""
    return unicodedata.normalize("NFKC", text).lower()


def bigrams(run: str) -> list[str]:
    """Return the overlapping two-character tokens of a CJK run, in order."""
    if len(run) < 2:
        return [run] if run else []
    return [run[i:i + 2] for i in range(len(run) - 1)]


def quote_lexeme(lexeme: str) -> str:
    """Quote a lexeme for PostgreSQL's tsvector and tsquery input syntax."""
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


@dataclass
class AnalyzedText:
    """Text split for indexing: CJK tokens in a literal tsvector, the rest as text."""

    # (lexeme, position) pairs for the CJK part.
    cjk_positions: list[tuple[str, int]] = field(default_factory=list)
    # Non-CJK text, passed to to_tsvector(TEXT_SEARCH_CONFIG, ...).
    latin: str = ""
    # The position after the last CJK token, where the next field starts.
    next_position: int = 1

    def tsvector_literal(self, weight: str) -> str:
        """Return the CJK part as tsvector input text with ``weight`` (A-D)."""
        by_lexeme: dict[str, list[int]] = {}
        for lexeme, position in self.cjk_positions:
            by_lexeme.setdefault(lexeme, []).append(min(position, 16383))
        return " ".join(
            "%s:%s" % (
                quote_lexeme(lexeme),
                ",".join("%d%s" % (p, weight) for p in sorted(set(positions))),
            )
            for lexeme, positions in by_lexeme.items()
        )


def analyze_for_index(values: Iterable[str], start_position: int = 1) -> AnalyzedText:
    """Split ``values`` into indexed CJK tokens and the remaining latin text.

    Each CJK run contributes its bigrams at consecutive positions (so phrase
    queries work), its last character as a single-character token (so a
    one-character query can match the end of a run), and its jieba search-mode
    words after a gap of positions.
    """
    result = AnalyzedText()
    latin_parts: list[str] = []
    position = start_position
    for value in values:
        if not value:
            continue
        text = normalize(value)
        for run in _CJK_RUN.findall(text):
            for token in bigrams(run):
                result.cjk_positions.append((token, position))
                position += 1
            result.cjk_positions.append((run[-1], position))
            position += 2
            for word in _jieba().cut_for_search(run, HMM=False):
                if len(word) > 1:
                    result.cjk_positions.append((word, position))
                    position += 1
            position += 2
        latin_parts.extend(
            part.strip() for part in _NON_CJK_RUN.findall(text) if part.strip()
        )
    result.latin = " ".join(latin_parts)
    result.next_position = position + 10
    return result


def field_tokens(values: Iterable[str]) -> list[str]:
    """Return the distinct tokens of a text field, for fielded queries.

    The tokens are the CJK bigrams and jieba words plus the lower-cased latin
    words; fielded queries on text fields (``title:医院``) match against them.
    """
    tokens: list[str] = []
    seen: set[str] = set()

    def add(token: str) -> None:
        if token and token not in seen:
            seen.add(token)
            tokens.append(token)

    for value in values:
        if not value:
            continue
        text = normalize(value)
        for run in _CJK_RUN.findall(text):
            for token in bigrams(run):
                add(token)
            add(run[-1])
            for word in _jieba().cut_for_search(run, HMM=False):
                if len(word) > 1:
                    add(word)
        for part in _NON_CJK_RUN.findall(text):
            for word in latin_words(part):
                add(word)
    return tokens


def latin_words(text: str) -> list[str]:
    """Return the lower-cased words of non-CJK text, split on non-word characters."""
    words = re.findall(r"[\w]+(?:[.\-_][\w]+)*", normalize(text))
    result: list[str] = []
    for word in words:
        result.append(word)
        parts = re.split(r"[.\-_]", word)
        if len(parts) > 1:
            result.extend(p for p in parts if p)
    return result


@dataclass
class QueryTerm:
    """One search term split into a CJK tsquery and latin text for PostgreSQL."""

    cjk_query: str  # literal tsquery text, '' when the term has no CJK part
    latin: str  # text for plainto_tsquery/phraseto_tsquery(TEXT_SEARCH_CONFIG, ...)
    phrase: bool

    @property
    def empty(self) -> bool:
        return not self.cjk_query and not self.latin


def _cjk_word_query(word: str) -> str:
    if len(word) == 1:
        return "(%s | %s:*)" % (quote_lexeme(word), quote_lexeme(word))
    grams = " <-> ".join(quote_lexeme(g) for g in bigrams(word))
    return "(%s | %s)" % (quote_lexeme(word), grams)


def analyze_term(term: str, phrase: bool = False) -> QueryTerm:
    """Turn a query term (a word or a quoted phrase) into tsquery parts.

    A CJK run in a phrase must appear as written (its bigrams in a row); in a
    plain term each jieba word of the run must appear, as a word or as its
    bigrams in a row, so 天津医院 also finds 天津市第一中心医院.
    """
    text = normalize(term)
    cjk_parts: list[str] = []
    for run in _CJK_RUN.findall(text):
        if phrase:
            if len(run) == 1:
                cjk_parts.append(_cjk_word_query(run))
            else:
                cjk_parts.append(
                    "(" + " <-> ".join(quote_lexeme(g) for g in bigrams(run)) + ")"
                )
            continue
        for word in _jieba().cut(run, HMM=False):
            cjk_parts.append(_cjk_word_query(word))
    latin = " ".join(
        part.strip() for part in _NON_CJK_RUN.findall(text)
        if _WORD_CHARS.search(part)
    )
    return QueryTerm(cjk_query=" & ".join(cjk_parts), latin=latin, phrase=phrase)


def has_cjk(text: str) -> bool:
    """Return True when ``text`` contains a CJK character."""
    return bool(_CJK_RUN.search(text))
