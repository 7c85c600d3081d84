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

import functools
import logging
import os
import re
import threading
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Iterable, Optional

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
_LETTER_OR_DIGIT = re.compile(r"[^\W_]", re.UNICODE)

# The segmenter is rjieba, a Rust port of jieba with jieba's dictionary. On
# the 86 titles of the demo catalogue it cut every title exactly as jieba
# 0.42.1 does (HMM off, search mode) and took 5 us per title against jieba's
# 63 us (bench/segmenters.py, 2-core machine), so indexing spends far less
# time in segmentation. jieba is the fallback where rjieba is not installed.
_segmenter_lock = threading.Lock()
_segmenter: Any = None


def _load_segmenter() -> Any:
    """Return the segmenter module, initialised once per process."""
    global _segmenter
    if _segmenter is None:
        with _segmenter_lock:
            if _segmenter is None:
                try:
                    import rjieba

                    _segmenter = _RJiebaSegmenter(rjieba)
                except ImportError:
                    import jieba

                    jieba.setLogLevel(logging.WARNING)
                    jieba.initialize()
                    _segmenter = _JiebaSegmenter(jieba)
                    log.info("rjieba is not installed: segmenting Chinese text with jieba")
    return _segmenter


class _RJiebaSegmenter:
    def __init__(self, module: Any) -> None:
        self.module = module

    def cut(self, run: str) -> list[str]:
        return self.module.cut(run, hmm=False)

    def cut_for_search(self, run: str) -> list[str]:
        return self.module.cut_for_search(run, hmm=False)

    def add_word(self, word: str, frequency: Optional[int], tag: Optional[str]) -> None:
        self.module.add_word(word, frequency, tag)


class _JiebaSegmenter:
    def __init__(self, module: Any) -> None:
        self.module = module

    def cut(self, run: str) -> list[str]:
        return list(self.module.cut(run, HMM=False))

    def cut_for_search(self, run: str) -> list[str]:
        return list(self.module.cut_for_search(run, HMM=False))

    def add_word(self, word: str, frequency: Optional[int], tag: Optional[str]) -> None:
        self.module.add_word(word, frequency, tag)


@functools.lru_cache(maxsize=65536)
def cut_words(run: str) -> tuple[str, ...]:
    """Return the words of a CJK run in precise mode (the query path)."""
    return tuple(_load_segmenter().cut(run))


@functools.lru_cache(maxsize=65536)
def search_words(run: str) -> tuple[str, ...]:
    """Return the search-mode words of a CJK run longer than one character.

    Search mode also returns the shorter words inside a compound, so
    公共交通 yields 公共, 交通 and 公共交通.
    """
    return tuple(w for w in _load_segmenter().cut_for_search(run) if len(w) > 1)


def load_user_dictionary(path: str) -> None:
    """Add the words of a jieba dictionary file to the segmenter.

    Each line holds a word, optionally followed by a frequency and a
    part-of-speech tag, separated by spaces, as jieba's ``load_userdict`` reads.
    """
    segmenter = _load_segmenter()
    count = 0
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            parts = line.strip().split()
            if not parts or parts[0].startswith("#"):
                continue
            frequency = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
            tag = parts[2] if len(parts) > 2 else None
            segmenter.add_word(parts[0], frequency, tag)
            count += 1
    cut_words.cache_clear()
    search_words.cache_clear()
    log.info("Loaded %d words from the user dictionary %s", count, path)


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
            for word in search_words(run):
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
            for word in search_words(run):
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
    # Synonyms of the whole term, each analysed as a phrase; a document
    # matching any of them matches the term.
    alternatives: list["QueryTerm"] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.cjk_query and not self.latin


def _cjk_word_query(word: str) -> str:
    if len(word) == 1:
        return "(%s | %s:*)" % (quote_lexeme(word), quote_lexeme(word))
    grams = " <-> ".join(quote_lexeme(g) for g in bigrams(word))
    return "(%s | %s)" % (quote_lexeme(word), grams)


def _cjk_synonym_query(word: str) -> str:
    """Return the tsquery of a jieba word or any of its CJK synonyms."""
    words = [word] + [alt for alt in synonyms(word) if _CJK_RUN.fullmatch(alt)]
    if len(words) == 1:
        return _cjk_word_query(word)
    return "(" + " | ".join(_cjk_word_query(w) for w in words) + ")"


def analyze_term(term: str, phrase: bool = False, expand: bool = True) -> QueryTerm:
    """Turn a query term (a word or a quoted phrase) into tsquery parts.

    A CJK run in a phrase must appear as written (its bigrams in a row); in a
    plain term each jieba word of the run must appear, as a word or as its
    bigrams in a row, so 天津医院 also finds 天津市第一中心医院. With
    ``expand``, synonyms of the whole term and of each CJK word also match.
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
        for word in cut_words(run):
            cjk_parts.append(_cjk_synonym_query(word) if expand else _cjk_word_query(word))
    latin = " ".join(
        part.strip() for part in _NON_CJK_RUN.findall(text)
        if _WORD_CHARS.search(part)
    )
    result = QueryTerm(cjk_query=" & ".join(cjk_parts), latin=latin, phrase=phrase)
    if expand and not result.empty:
        result.alternatives = [
            analyze_term(alt, phrase=True, expand=False) for alt in synonyms(text.strip())
        ]
    return result


# Synonym groups applied at query time, in the format of Solr's synonyms.txt:
# one group of equivalent terms per line, separated by commas, "#" starting a
# comment. Only the equivalence form is read; "a => b" lines are skipped.
DEFAULT_SYNONYMS_FILE = os.path.join(os.path.dirname(os.path.dirname(__file__)), "data", "synonyms.txt")
_synonyms: dict[str, tuple[str, ...]] = {}
_synonyms_path: Optional[str] = None


def use_synonyms_file(path: str) -> None:
    """Load the synonyms file at ``path`` unless it is the one already loaded."""
    if path != _synonyms_path:
        load_synonyms(path)


def load_synonyms(path: str = DEFAULT_SYNONYMS_FILE) -> None:
    """Replace the synonym groups with those of the file at ``path``."""
    global _synonyms, _synonyms_path
    groups: dict[str, tuple[str, ...]] = {}
    with open(path, encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            if "=>" in line:
                log.warning("Skipped line %d of synonyms file %s: '=>' mappings are not supported",
                            number, path)
                continue
            terms = [normalize(t).strip() for t in line.split(",")]
            terms = list(dict.fromkeys(t for t in terms if t))
            for term in terms:
                groups[term] = tuple(dict.fromkeys(groups.get(term, ()) + tuple(t for t in terms if t != term)))
    _synonyms = groups
    _synonyms_path = path
    log.info("Loaded %d synonym terms from %s", len(groups), path)


def synonyms(term: str) -> tuple[str, ...]:
    """Return the other terms of ``term``'s synonym groups (``term`` normalised)."""
    if _synonyms_path is None:
        load_synonyms()
    return _synonyms.get(term, ())


def has_lexemes(text: str) -> bool:
    """Return True when PostgreSQL's parser finds a word in ``text``.

    Letters and digits of any script always make a token; underscores and
    punctuation alone may make none.
    """
    return bool(_LETTER_OR_DIGIT.search(text))


def has_cjk(text: str) -> bool:
    """Return True when ``text`` contains a CJK character."""
    return bool(_CJK_RUN.search(text))
