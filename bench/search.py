"""Benchmark the PostgreSQL search backend against a naive baseline.

    python bench/search.py --ini bench/bench.ini -n 100000

One run, on one database:
1. writes N synthetic datasets straight into CKAN's tables, with Chinese
   titles, descriptions, keywords, departments, topics and formats drawn from
   the demo catalogue's vocabulary (a fixed random seed, so runs compare);
2. rebuilds the search index through ``ckan search-index rebuild``'s code
   path and reports datasets indexed per second;
3. times a fixed mix of ``package_search`` calls through CKAN's action layer
   (the first call of each class apart, because the backend caches hit and
   facet counts until the next index write),
   the same requests answered by a naive SQL baseline (``to_tsvector``
   computed on the fly and ``ILIKE`` over the package table, with facets by
   GROUP BY), and the SQL our backend itself runs (the lower bound);
4. prints a table and writes ``bench/results/search-N.json``.

Latencies are wall-clock times on the machine running the script; compare the
columns of one run, not runs on different machines.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import random
import statistics
import sys
import time
import uuid
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any, Callable

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CATALOG = os.path.join(ROOT, "demo", "tj-catalog")
BENCH_SITE_ID = "tjportal-bench"

FREQUENCIES = ["realtime", "daily", "weekly", "monthly", "quarterly", "half-yearly", "yearly", "irregular"]
SUFFIXES = ["信息", "名录", "统计", "数据", "目录", "情况", "明细", "汇总"]
DISTRICTS = ["和平区", "河东区", "河西区", "南开区", "河北区", "红桥区", "东丽区", "西青区",
             "津南区", "北辰区", "武清区", "宝坻区", "滨海新区", "宁河区", "静海区", "蓟州区"]
YEARS = [str(y) + "年" for y in range(2015, 2027)]


def load_vocabulary() -> dict[str, Any]:
    """Read titles, descriptions, keywords, departments, topics and formats."""
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    records = [json.loads(line) for line in open(os.path.join(CATALOG, "datasets.jsonl"), encoding="utf-8")]
    with open(os.path.join(CATALOG, "departments.csv"), encoding="utf-8") as f:
        departments = [(row["slug"], row["name_zh"]) for row in csv.DictReader(f)]
    with open(os.path.join(CATALOG, "topics.csv"), encoding="utf-8") as f:
        topics = [(row["slug"], row["name_zh"]) for row in csv.DictReader(f)]
    words: list[str] = []
    for record in records:
        words.extend(w for w in jieba.cut(record["title_zh"]) if len(w) > 1 and w.strip())
    keywords = sorted({k for r in records for k in r.get("keywords_zh", [])})
    formats = sorted({f.upper() for r in records for f in r.get("formats", [])}) or ["CSV"]
    sentences = [r["description_zh"] for r in records if r.get("description_zh")]
    return {
        "words": sorted(set(words)),
        "keywords": keywords,
        "formats": formats,
        "sentences": sentences,
        "departments": departments,
        "topics": topics,
    }


def synthetic_title(rng: random.Random, vocab: dict[str, Any]) -> str:
    parts = [rng.choice(DISTRICTS) if rng.random() < 0.4 else "天津市"]
    if rng.random() < 0.3:
        parts.append(rng.choice(YEARS))
    parts.extend(rng.sample(vocab["words"], rng.randint(1, 3)))
    parts.append(rng.choice(SUFFIXES))
    return "".join(parts)


# --- data set-up ------------------------------------------------------------

def create_catalogue(n: int, vocab: dict[str, Any], seed: int = 20261204) -> None:
    """Insert departments, topics and N datasets with bulk SQL."""
    import ckan.model as model

    rng = random.Random(seed)
    session = model.Session
    now = datetime.utcnow()
    admin = model.User(name="bench-admin", email="bench@example.invalid", password="bench-password-1", sysadmin=True)
    session.add(admin)
    session.flush()

    org_ids = []
    for slug, title in vocab["departments"]:
        org = model.Group(name=slug, title=title, type="organization", is_organization=True)
        org.state = "active"
        session.add(org)
        session.flush()
        org_ids.append((org.id, slug))
    group_ids = []
    for slug, title in vocab["topics"]:
        group = model.Group(name=slug, title=title, type="group", is_organization=False)
        group.state = "active"
        session.add(group)
        session.flush()
        group_ids.append(group.id)
    tag_ids = {}
    for keyword in vocab["keywords"]:
        tag = model.Tag(name=keyword)
        session.add(tag)
        session.flush()
        tag_ids[keyword] = tag.id
    session.commit()

    batch = 5000
    for offset in range(0, n, batch):
        packages, resources, members, package_tags = [], [], [], []
        for i in range(offset, min(n, offset + batch)):
            package_id = str(uuid.UUID(int=rng.getrandbits(128)))
            org_id, _ = rng.choice(org_ids)
            modified = now - timedelta(minutes=rng.randint(0, 60 * 24 * 365 * 5))
            dataset_type = "dataservice" if rng.random() < 0.45 else "dataset"
            packages.append({
                "id": package_id,
                "name": "bench-%07d" % i,
                "title": synthetic_title(rng, vocab),
                "notes": "".join(rng.sample(vocab["sentences"], 2)),
                "type": dataset_type,
                "owner_org": org_id,
                "creator_user_id": admin.id,
                "private": rng.random() < 0.05,
                "state": "active",
                "license_id": "cc-by",
                "metadata_created": modified - timedelta(days=rng.randint(0, 400)),
                "metadata_modified": modified,
                "extras": {
                    "update_frequency": rng.choice(FREQUENCIES),
                    "open_condition": "conditional" if rng.random() < 0.2 else "unconditional",
                },
            })
            for position, fmt in enumerate(rng.sample(vocab["formats"], min(len(vocab["formats"]), rng.randint(1, 3)))):
                resources.append({
                    "id": str(uuid.UUID(int=rng.getrandbits(128))),
                    "package_id": package_id,
                    "url": "https://example.invalid/%s/%d.%s" % (package_id, position, fmt.lower()),
                    "format": fmt,
                    "name": "附件%d" % (position + 1),
                    "position": position,
                    "state": "active",
                    "extras": {},
                })
            members.append({
                "id": str(uuid.UUID(int=rng.getrandbits(128))),
                "table_name": "package",
                "table_id": package_id,
                "capacity": "public",
                "group_id": rng.choice(group_ids),
                "state": "active",
            })
            for keyword in rng.sample(vocab["keywords"], min(3, len(vocab["keywords"]))):
                package_tags.append({
                    "id": str(uuid.UUID(int=rng.getrandbits(128))),
                    "package_id": package_id,
                    "tag_id": tag_ids[keyword],
                    "state": "active",
                })
        session.execute(model.package_table.insert(), packages)
        session.execute(model.resource_table.insert(), resources)
        session.execute(model.member_table.insert(), members)
        session.execute(model.package_tag_table.insert(), package_tags)
        session.commit()
        print("  created %d/%d datasets" % (min(n, offset + batch), n), file=sys.stderr)


# --- measurements -----------------------------------------------------------

def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, int(round(fraction * (len(ordered) - 1)))))
    return ordered[index]


def query_mix(vocab: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The fixed query classes; each is timed separately."""
    department = vocab["departments"][0][0]
    topic = vocab["topics"][0][0]
    return [
        ("one Chinese word", {"q": "医疗"}),
        ("two Chinese words", {"q": "天津市 交通"}),
        ("English word", {"q": "csv"}),
        ("department + topic filter", {"fq": 'organization:"%s" AND groups:"%s"' % (department, topic)}),
        ("sort by metadata_modified", {"q": "信息", "sort": "metadata_modified desc"}),
        ("deep page start=5000", {"q": "*:*", "start": 5000, "rows": 20}),
        ("empty query, all facets", {
            "q": "",
            "facet.field": json.dumps(["groups", "organization", "res_format", "update_frequency", "open_condition", "tags"]),
        }),
    ]


class SqlTimer:
    """Sums the time our backend spends in cursor.execute during one call."""

    def __init__(self) -> None:
        self.total = 0.0

    @contextmanager
    def installed(self):
        from ckanext.tjportal.search.backend import connection

        original = connection._cursor
        timer = self

        @contextmanager
        def timed_cursor():
            with original() as cursor:
                yield _TimedCursor(cursor, timer)

        connection._cursor = timed_cursor
        try:
            yield self
        finally:
            connection._cursor = original


class _TimedCursor:
    def __init__(self, cursor: Any, timer: SqlTimer) -> None:
        self._cursor = cursor
        self._timer = timer

    def execute(self, *args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return self._cursor.execute(*args, **kwargs)
        finally:
            self._timer.total += time.perf_counter() - start

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cursor, name)


def time_call(call: Callable[[], Any]) -> float:
    start = time.perf_counter()
    call()
    return (time.perf_counter() - start) * 1000


def time_calls(call: Callable[[], Any], repeat: int) -> list[float]:
    call()  # warm caches once; not counted
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return times


def naive_search(cursor: Any, params: dict[str, Any]) -> None:
    """Answer a request the way a simple PostgreSQL search would."""
    conditions = ["p.state = 'active'", "p.private = false"]
    args: list[Any] = []
    q = params.get("q") or ""
    for word in q.split():
        if word == "*:*":
            continue
        conditions.append(
            "(to_tsvector('simple', coalesce(p.title, '') || ' ' || coalesce(p.notes, '')) "
            "@@ plainto_tsquery('simple', %s) OR p.title ILIKE %s OR p.notes ILIKE %s)"
        )
        args.extend([word, "%" + word + "%", "%" + word + "%"])
    fq = params.get("fq")
    if fq:
        department = fq.split('"')[1]
        topic = fq.split('"')[3]
        conditions.append("o.name = %s")
        conditions.append("EXISTS (SELECT 1 FROM member m JOIN \"group\" g ON g.id = m.group_id "
                          "WHERE m.table_id = p.id AND m.state = 'active' AND g.name = %s)")
        args.extend([department, topic])
    where = " AND ".join(conditions)
    base = "FROM package p LEFT JOIN \"group\" o ON o.id = p.owner_org WHERE " + where
    order = "p.metadata_modified DESC" if params.get("sort") else "p.title"
    cursor.execute("SELECT count(*) " + base, args)
    cursor.execute("SELECT p.id " + base + " ORDER BY " + order + " LIMIT %s OFFSET %s",
                   args + [int(params.get("rows", 20)), int(params.get("start", 0))])
    cursor.fetchall()
    if params.get("facet.field"):
        cursor.execute("SELECT o.name, count(*) " + base + " GROUP BY o.name ORDER BY 2 DESC LIMIT 50", args)
        cursor.execute(
            "SELECT g.name, count(*) " + base.replace("WHERE", "JOIN member m ON m.table_id = p.id "
                                                      "JOIN \"group\" g ON g.id = m.group_id WHERE", 1)
            + " GROUP BY g.name ORDER BY 2 DESC LIMIT 50", args)
        cursor.execute(
            "SELECT r.format, count(DISTINCT p.id) " + base.replace(
                "WHERE", "JOIN resource r ON r.package_id = p.id WHERE", 1)
            + " GROUP BY r.format ORDER BY 2 DESC LIMIT 50", args)
        cursor.execute("SELECT p.extras ->> 'update_frequency', count(*) " + base + " GROUP BY 1", args)
        cursor.execute("SELECT p.extras ->> 'open_condition', count(*) " + base + " GROUP BY 1", args)
        cursor.execute(
            "SELECT t.name, count(*) " + base.replace(
                "WHERE", "JOIN package_tag pt ON pt.package_id = p.id JOIN tag t ON t.id = pt.tag_id WHERE", 1)
            + " GROUP BY t.name ORDER BY 2 DESC LIMIT 50", args)
        cursor.fetchall()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ini", required=True, help="CKAN config file of the benchmark database")
    parser.add_argument("-n", type=int, default=10000, help="number of synthetic datasets (default 10000)")
    parser.add_argument("--workers", type=int, default=1,
                        help="rebuild with `ckan tjportal-search rebuild` and this many worker "
                             "processes; 1 (the default) uses `ckan search-index rebuild`'s code path")
    parser.add_argument("--reuse", action="store_true",
                        help="time the queries on the database and index of an earlier run with the "
                             "same -n, and report that run's rebuild rate")
    parser.add_argument("--rebuild-rate", type=float,
                        help="with --reuse: the datasets/s the earlier run printed, when it wrote no "
                             "result file")
    parser.add_argument("--repeat", type=int, default=30, help="timed calls per query class (default 30)")
    args = parser.parse_args()
    if args.n < 1:
        parser.error("-n must be at least 1")

    from ckan.cli import load_config
    from ckan.config.middleware import make_app

    config = load_config(args.ini)
    app = make_app(config)
    flask_app = app._wsgi_app if hasattr(app, "_wsgi_app") else app.apps["flask_app"]._wsgi_app

    import ckan.plugins.toolkit as tk
    from ckan.model import meta

    path = os.path.join(HERE, "results", "search-%d.json" % args.n)
    with flask_app.test_request_context():
        if args.reuse and args.rebuild_rate:
            _check_dataset_count(args.n)
            rebuild_per_s, reused_from = args.rebuild_rate, "the run that built the database (--rebuild-rate)"
        elif args.reuse:
            rebuild_per_s, reused_from = _reused_rebuild_rate(path, args.n)
        else:
            rebuild_per_s, reused_from = _set_up(args), None
        results = _time_queries(args, tk, meta)

    report = {"n": args.n, "rebuild_per_s": round(rebuild_per_s, 1), "rebuild_workers": args.workers,
              "queries": results}
    if reused_from:
        report["rebuild_measured_in"] = reused_from
    os.makedirs(os.path.join(HERE, "results"), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(report, f, ensure_ascii=False, indent=2)
    _print_table(args, rebuild_per_s, results, path)
    return 0


def _check_dataset_count(n: int) -> None:
    import ckan.model as model

    count = model.Session.query(model.Package).count()
    if count != n:
        raise SystemExit("--reuse: the benchmark database contains %d datasets, not %d" % (count, n))


def _reused_rebuild_rate(path: str, n: int) -> tuple[float, str]:
    """Return the rebuild rate of the earlier run that built this database."""
    _check_dataset_count(n)
    with open(path, encoding="utf-8") as f:
        earlier = json.load(f)
    return earlier["rebuild_per_s"], earlier.get("rebuild_measured_in", "an earlier run")


def _set_up(args: argparse.Namespace) -> float:
    """Create the catalogue, rebuild the index and return datasets indexed per second."""
    import ckan.lib.search as search
    import ckan.model as model

    print("Resetting the benchmark database", file=sys.stderr)
    model.repo.rebuild_db()
    from ckan.cli.db import _run_migrations

    _run_migrations("tjportal_search")
    vocab = load_vocabulary()
    start = time.perf_counter()
    create_catalogue(args.n, vocab)
    print("  created in %.0f s" % (time.perf_counter() - start), file=sys.stderr)

    search.clear_all()
    start = time.perf_counter()
    if args.workers > 1:
        from ckanext.tjportal.search import rebuild as parallel_rebuild

        parallel_rebuild.rebuild(args.workers)
    else:
        search.rebuild(force=True, defer_commit=True, quiet=True)
        # `ckan search-index rebuild` commits once at the end, like this.
        search.commit()
    rebuild_seconds = time.perf_counter() - start
    rebuild_per_s = args.n / rebuild_seconds
    print("  rebuilt the index: %.0f datasets/s" % rebuild_per_s, file=sys.stderr)
    _restore_connection_pool()
    return rebuild_per_s


def _restore_connection_pool() -> None:
    """Give the process a pooled database engine again, as CKAN's start-up makes.

    CKAN's migration environment replaces the engine with one without a
    pool, so each query of the timed calls would open a new connection
    (measured: 7 ms more per search than in a new process).
    """
    import sqlalchemy

    import ckan.model as model
    import ckan.plugins.toolkit as tk

    model.Session.remove()
    model.init_model(sqlalchemy.engine_from_config(dict(tk.config)))


def _time_queries(args: argparse.Namespace, tk: Any, meta: Any) -> list[dict[str, Any]]:
    vocab = load_vocabulary()

    context_base = {"ignore_auth": False, "user": ""}
    results = []
    raw = meta.engine.raw_connection()
    cursor = raw.cursor()
    for name, params in query_mix(vocab):
        def call(params=params):
            return tk.get_action("package_search")(dict(context_base), dict(params, rows=params.get("rows", 20)))

        # The first call of each class finds no cached counts for its
        # condition; the repeated calls reuse them.
        first_ms = time_call(call)
        action_ms = time_calls(call, args.repeat)
        timer = SqlTimer()
        sql_ms = []
        with timer.installed():
            call()
            for _ in range(args.repeat):
                timer.total = 0.0
                call()
                sql_ms.append(timer.total * 1000)
        naive_ms = time_calls(lambda params=params: naive_search(cursor, params), args.repeat)
        results.append({
            "name": name,
            "first_ms": round(first_ms, 2),
            "p50_ms": round(statistics.median(action_ms), 2),
            "p95_ms": round(percentile(action_ms, 0.95), 2),
            "naive_p95_ms": round(percentile(naive_ms, 0.95), 2),
            "sql_p95_ms": round(percentile(sql_ms, 0.95), 2),
        })
    raw.close()
    return results


def _print_table(args: argparse.Namespace, rebuild_per_s: float, results: list[dict[str, Any]],
                 path: str) -> None:

    print("\nN = %d datasets; index rebuild %.0f datasets/s with %d worker process(es)"
          % (args.n, rebuild_per_s, args.workers))
    header = "%-28s %9s %9s %9s %14s %11s %9s" % (
        "query", "first ms", "p50 ms", "p95 ms", "naive p95 ms", "SQL p95 ms", "speed-up")
    print(header)
    print("-" * len(header))
    for row in results:
        speedup = row["naive_p95_ms"] / row["p95_ms"] if row["p95_ms"] else float("inf")
        print("%-28s %9.1f %9.1f %9.1f %14.1f %11.1f %8.1fx" % (
            row["name"], row["first_ms"], row["p50_ms"], row["p95_ms"], row["naive_p95_ms"],
            row["sql_p95_ms"], speedup))
    print("\nWrote %s" % os.path.relpath(path, ROOT))


if __name__ == "__main__":
    sys.exit(main())
