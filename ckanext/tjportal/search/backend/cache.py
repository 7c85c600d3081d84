"""Hit counts and facet counts of recent searches, valid for one index state.

Counting the matches of a common word or the facet values of a whole
catalogue reads most rows of the index, while the page of results needs only
a few. Solr keeps such counts in its caches until the next commit; this
module does the same per process. Every entry is keyed by the index state
(:func:`index_state`) and by the full SQL condition with its bind values.
Those values include the permission labels of the user who searched, so an
entry is only returned for the same condition on the same index.

The index state changes on every write: :func:`bump` runs after each
committed write, and a dropped or truncated table gets a new file node.
"""
from __future__ import annotations

import collections
import threading
from typing import Any, Callable, Hashable, Optional

# Entries kept per process; the least recently used one goes first.
MAX_ENTRIES = 1000

_STATE_SQL = (
    "SELECT current_database(), pg_relation_filenode('tjportal_search_document'), "
    "last_value FROM tjportal_search_document_seq"
)
_BUMP_SQL = "SELECT nextval('tjportal_search_document_seq')"

_entries: collections.OrderedDict[Hashable, Any] = collections.OrderedDict()
_lock = threading.Lock()


def index_state(cursor: Any, local_settings: tuple[tuple[str, str], ...] = ()) -> tuple[Any, ...]:
    """Return the database, table file node and write counter of the index.

    ``local_settings`` are (name, value) pairs of PostgreSQL settings to set
    for the rest of the transaction in the same round trip.
    """
    if not local_settings:
        cursor.execute(_STATE_SQL)
        return tuple(cursor.fetchone())
    settings = ", ".join("set_config(%s, %s, true)" for _ in local_settings)
    cursor.execute(
        _STATE_SQL.replace("SELECT ", "SELECT %s, " % settings, 1),
        [value for pair in local_settings for value in pair],
    )
    return tuple(cursor.fetchone())[len(local_settings):]


def bump(cursor: Any) -> None:
    """Advance the write counter, which makes every cached entry stale.

    Call it after the write has committed. A search that read the counter
    before the commit may then store counts of the older rows, but under the
    counter value this call leaves behind.
    """
    cursor.execute(_BUMP_SQL)


def make_key(state: tuple[Any, ...], kind: str, sql: str, params: list[Any],
             *extra: Any) -> Hashable:
    """Build a key from the index state and the exact SQL with its values."""
    return (state, kind, sql, repr(params)) + tuple(repr(value) for value in extra)


def get(key: Hashable) -> Optional[Any]:
    with _lock:
        value = _entries.get(key)
        if value is not None:
            _entries.move_to_end(key)
        return value


def put(key: Hashable, value: Any) -> None:
    with _lock:
        _entries[key] = value
        _entries.move_to_end(key)
        while len(_entries) > MAX_ENTRIES:
            _entries.popitem(last=False)


def query(cursor: Any, state: tuple[Any, ...], kind: str, sql: str, params: list[Any],
          read: Callable[[Any], Any]) -> Any:
    """Return ``read(cursor)`` after running ``sql``, or the cached value of an
    earlier call with the same arguments in the same index ``state``."""
    key = make_key(state, kind, sql, params)
    value = get(key)
    if value is None:
        cursor.execute(sql, params)
        value = read(cursor)
        put(key, value)
    return value


def clear() -> None:
    with _lock:
        _entries.clear()
