"""Turn Chinese titles into CKAN names (lowercase ASCII ``a-z0-9-_``)."""
from __future__ import annotations

import re
import unicodedata

_NOT_NAME_CHARACTERS = re.compile(r"[^a-z0-9]+")
# Used when a title has no letter, digit or Chinese character at all.
FALLBACK_NAME = "dataset"


def _keep_non_chinese(text: str) -> list[str]:
    # pypinyin passes runs of non-Chinese characters here; full-width forms
    # such as "ＡＢＣ１２" become ASCII through NFKC.
    return [unicodedata.normalize("NFKC", text)]


def slugify_title(title: str, max_length: int = 90, min_length: int = 2) -> str:
    """Build a readable name from a title: one pinyin syllable per character.

    "三级医疗机构" becomes "san-ji-yi-liao-ji-gou". Latin letters and digits
    are kept, everything else separates words. The result is cut at a word
    boundary to ``max_length`` and is never shorter than ``min_length``.
    """
    # Imported on first use: pypinyin's dictionaries take about 50 MB, which
    # every web worker would otherwise hold though only dataset forms and
    # the demo loader need them.
    from pypinyin import Style, lazy_pinyin

    syllables = lazy_pinyin(title, style=Style.NORMAL, errors=_keep_non_chinese)
    words: list[str] = []
    for syllable in syllables:
        words.extend(
            part for part in _NOT_NAME_CHARACTERS.split(syllable.lower()) if part
        )
    name = "-".join(words)

    if len(name) > max_length:
        cut = name[:max_length + 1]
        name = cut.rsplit("-", 1)[0] if "-" in cut else cut[:max_length]
        name = name[:max_length].strip("-")

    if len(name) < min_length:
        name = FALLBACK_NAME if not name else "%s-%s" % (FALLBACK_NAME, name)
    return name
