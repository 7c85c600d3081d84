"""Download counters buffered in Redis and written to PostgreSQL in batches.

Each download adds one to a field of a Redis hash; ``flush`` moves the hash
into ``tjportal_download_count``. A flush runs every
``ckanext.tjportal.downloads.flush_every`` downloads and on
``ckan tjportal-downloads flush``, so only the download that reaches that number waits
for PostgreSQL, which then writes the whole batch.
"""
from __future__ import annotations

import datetime
import logging
import uuid
from typing import Any
from zoneinfo import ZoneInfo

from redis import Redis
from sqlalchemy.dialects.postgresql import insert

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.lib.redis import connect_to_redis

from ckanext.tjportal.downloads.model import DownloadCount

log = logging.getLogger(__name__)

# Seconds after which a crashed flush releases its lock.
FLUSH_LOCK_TIMEOUT = 300


def _key(*parts: str) -> str:
    # Several CKAN sites may share one Redis database, so keys start with
    # the site id, as core's own Redis keys do.
    return ":".join([tk.config["ckan.site_id"], "tjportal_downloads", *parts])


def _counts_key() -> str:
    return _key("counts")


def _batch_pattern() -> str:
    return _key("counts", "batch", "*")


def _pending_key() -> str:
    return _key("pending")


def _decode(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def today() -> datetime.date:
    """Return the current day in the counting time zone."""
    zone = ZoneInfo(tk.config.get("ckanext.tjportal.downloads.timezone"))
    return datetime.datetime.now(datetime.timezone.utc).astimezone(zone).date()


def record_download(resource_id: str, package_id: str, fmt: str) -> None:
    """Count one download in Redis and flush every N downloads."""
    redis = connect_to_redis()
    field = " ".join([resource_id, package_id, fmt, today().isoformat()])
    with redis.pipeline() as pipe:
        pipe.hincrby(_counts_key(), field, 1)
        pipe.incr(_pending_key())
        pending = int(pipe.execute()[-1])
    if pending >= tk.config.get("ckanext.tjportal.downloads.flush_every"):
        try:
            flush(wait=False)
        except Exception:
            # The download is served anyway; its count stays in Redis for
            # the next flush.
            log.exception("Flushing download counts after a download of %s failed", resource_id)


def pending_counts(package_id: str) -> dict[tuple[str, str, datetime.date], int]:
    """Return the counts of a dataset still buffered in Redis, by
    (resource id, format, day).

    NOTE: a batch that a flush has committed but not yet deleted is counted
    here and in PostgreSQL for that moment, so a total read then can be too
    high by that batch's downloads.
    """
    redis = connect_to_redis()
    keys = [_counts_key()] + [_decode(key) for key in redis.scan_iter(match=_batch_pattern())]
    counts: dict[tuple[str, str, datetime.date], int] = {}
    for key in keys:
        for field, count in redis.hgetall(key).items():
            resource_id, field_package_id, fmt, day = _decode(field).split(" ")
            if field_package_id != package_id:
                continue
            entry = (resource_id, fmt, datetime.date.fromisoformat(day))
            counts[entry] = counts.get(entry, 0) + int(count)
    return counts


def flush(wait: bool = True) -> int:
    """Move the buffered counts from Redis into PostgreSQL.

    The hash is renamed to a batch key first, so downloads counted during
    the flush go into a new hash. A batch is deleted only after its rows are
    committed, so a failed flush leaves it for the next one, and a Redis lock
    keeps two processes from writing one batch twice. With ``wait`` false, a
    flush that finds the lock taken returns at once. Returns the number of
    (resource, format, day) rows written.
    """
    redis = connect_to_redis()
    lock = redis.lock(_key("flush-lock"), timeout=FLUSH_LOCK_TIMEOUT, blocking_timeout=5)
    if not lock.acquire(blocking=wait):
        log.info("Download count flush skipped because another process has the lock")
        return 0
    try:
        redis.set(_pending_key(), 0)
        if redis.exists(_counts_key()):
            redis.rename(_counts_key(), _key("counts", "batch", uuid.uuid4().hex))
        written = 0
        for batch_key in list(redis.scan_iter(match=_batch_pattern())):
            written += _write_batch(redis, _decode(batch_key))
        return written
    finally:
        lock.release()


def _write_batch(redis: Redis, batch_key: str) -> int:
    rows = []
    for field, count in redis.hgetall(batch_key).items():
        resource_id, package_id, fmt, day = _decode(field).split(" ")
        rows.append({
            "resource_id": resource_id,
            "package_id": package_id,
            "format": fmt,
            "day": datetime.date.fromisoformat(day),
            "count": int(count),
        })
    if rows:
        table = DownloadCount.__table__
        statement = insert(table).values(rows)
        statement = statement.on_conflict_do_update(
            index_elements=[table.c.resource_id, table.c.format, table.c.day],
            set_={"count": table.c.count + statement.excluded["count"]},
        )
        with model.meta.engine.begin() as connection:
            connection.execute(statement)
    redis.delete(batch_key)
    log.info("Flushed %d download count rows from %s", len(rows), batch_key)
    return len(rows)
