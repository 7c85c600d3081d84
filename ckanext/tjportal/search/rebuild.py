"""Rebuild the search index with several worker processes.

CKAN's ``search.rebuild`` indexes one dataset after another, and most of its
time goes to ``package_show`` querying each dataset's related rows. This
module splits the dataset ids into one share per worker, and each forked
worker indexes its share in batches with :mod:`.bulk`. The documents are the
same as those of ``ckan search-index rebuild``. Documents of datasets that no
longer exist are deleted at the end, as that command does by default.
"""
from __future__ import annotations

import logging
import multiprocessing
import os
from typing import Optional

import ckan.model as model
import ckan.plugins.toolkit as tk
from . import bulk
from .backend import connection

log = logging.getLogger(__name__)


def _index_share(package_ids: list[str]) -> None:
    """Index ``package_ids`` in a forked worker, on its own database connections."""
    model.Session.remove()
    model.meta.engine.dispose(close=False)
    bulk.index_share(package_ids)


def _delete_orphans(package_ids: list[str]) -> None:
    site_id = tk.config.get("ckan.site_id")
    with connection._cursor() as cursor:
        cursor.execute(
            "DELETE FROM %s WHERE site_id = %%s AND NOT (id = ANY(%%s))" % connection.TABLE,
            [site_id, package_ids],
        )
        if cursor.rowcount:
            log.info("Deleted %d search documents of datasets that no longer exist", cursor.rowcount)


def _vacuum() -> None:
    """Vacuum the index table and refresh its planner statistics.

    A rebuild leaves a dead row version behind every document and an empty
    visibility map, so index-only scans would still read each row until
    autovacuum gets to the table. VACUUM cannot run inside a transaction.
    """
    raw = model.meta.engine.raw_connection()
    try:
        raw.driver_connection.autocommit = True
        cursor = raw.cursor()
        cursor.execute("VACUUM (ANALYZE) %s" % connection.TABLE)
        cursor.close()
    finally:
        raw.driver_connection.autocommit = False
        raw.close()


def rebuild(workers: int, package_ids: Optional[list[str]] = None) -> int:
    """Index every dataset (or ``package_ids``) with ``workers`` processes.

    Returns the number of datasets indexed. When indexing every dataset,
    documents of datasets that are gone are deleted afterwards. Raises RuntimeError when a worker
    fails; the datasets of the other workers stay indexed.
    """
    every_dataset = package_ids is None
    if package_ids is None:
        package_ids = [row[0] for row in model.Session.query(model.Package.id)]
    workers = max(1, min(workers, len(package_ids) or 1))
    if workers == 1:
        bulk.index_share(package_ids)
    else:
        shares = [package_ids[i::workers] for i in range(workers)]
        model.Session.remove()
        model.meta.engine.dispose()
        context = multiprocessing.get_context("fork")
        processes = [context.Process(target=_index_share, args=(share,)) for share in shares]
        for process in processes:
            process.start()
        failed = []
        for process in processes:
            process.join()
            if process.exitcode != 0:
                failed.append(process.pid)
        if failed:
            raise RuntimeError(
                "search index rebuild failed in worker processes %s; see their log output"
                % ", ".join(map(str, failed))
            )
    if every_dataset:
        _delete_orphans(package_ids)
    _vacuum()
    log.info("Indexed %d datasets with %d worker processes (pid %d)", len(package_ids), workers, os.getpid())
    return len(package_ids)
