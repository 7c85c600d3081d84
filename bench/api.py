"""Benchmark the metered data-service API and the XLSX download.

    python bench/api.py --ini bench/api.ini [--rows 200000] [--repeat 200]

One run, on one database:
1. creates a data service whose DataStore table has ROWS rows of Chinese
   text, numbers and dates, and a developer with an approved token;
2. times ``datastore_search`` (limit 20) through the Action API with that
   token, with metering on and with ``ckanext.tjportal.dataservice.require_token``
   switched off, alternating the two so machine load affects both alike;
3. times ``/datastore/dump/<id>`` as CSV and as XLSX, each in a fresh child
   process that reports its own peak memory (``ru_maxrss``);
4. prints a table and writes ``bench/results/api-ROWS.json``.

Times are wall-clock on the machine running the script: compare the figures
of one run, not runs on different machines.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import time
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DISTRICTS = ["和平区", "河东区", "河西区", "南开区", "河北区", "红桥区", "东丽区", "西青区",
             "津南区", "北辰区", "武清区", "宝坻区", "滨海新区", "宁河区", "静海区", "蓟州区"]
BATCH = 10000


def _app(ini: str):
    from ckan.cli import load_config
    from ckan.config.middleware import make_app

    return make_app(load_config(ini))


def create_service(rows: int, seed: int = 20261204) -> dict[str, Any]:
    """Create the data service, its table and a developer; return their ids and token."""
    import ckan.plugins.toolkit as tk
    from ckan import model

    rng = random.Random(seed)
    site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})
    admin = {"user": site_user["name"], "ignore_auth": True}
    department = tk.get_action("organization_create")(dict(admin), {
        "name": "bench-department", "title": "基准测试部门"})
    topic = tk.get_action("group_create")(dict(admin), {"name": "bench-topic", "title": "基准测试主题"})
    service = tk.get_action("package_create")(dict(admin), {
        "type": "dataservice", "name": "bench-service", "title": "基准测试数据接口",
        "owner_org": department["id"], "groups": [{"name": topic["name"]}],
        "update_frequency": "daily", "open_condition": "unconditional",
    })
    table = tk.get_action("resource_create")(dict(admin), {
        "package_id": service["id"], "name": "基准表", "url_type": "datastore", "url": "_datastore_only_resource",
    })
    fields = [
        {"id": "seq", "type": "int", "info": {"label": "序号"}},
        {"id": "district", "type": "text", "info": {"label": "区县"}},
        {"id": "name", "type": "text", "info": {"label": "名称"}},
        {"id": "value", "type": "numeric", "info": {"label": "数值"}},
        {"id": "day", "type": "date", "info": {"label": "日期"}},
    ]
    for offset in range(0, rows, BATCH):
        records = [{
            "seq": i,
            "district": rng.choice(DISTRICTS),
            "name": "%s第%d号站点" % (rng.choice(DISTRICTS), i),
            "value": round(rng.uniform(0, 10000), 2),
            "day": "2026-%02d-%02d" % (rng.randint(1, 12), rng.randint(1, 28)),
        } for i in range(offset, min(rows, offset + BATCH))]
        data = {"resource_id": table["id"], "force": True, "records": records}
        if offset == 0:
            data["fields"] = fields
        tk.get_action("datastore_create")(dict(admin), data)
        print("  loaded %d/%d rows" % (min(rows, offset + BATCH), rows), file=sys.stderr)

    user = model.User(name="bench-developer", email="developer@example.invalid", password="bench-password-1")
    model.Session.add(user)
    model.Session.commit()
    registration = tk.get_action("tjportal_developer_register")({"user": user.name}, {
        "name": "基准开发者", "kind": "individual", "email": "developer@example.invalid",
        "mobile": "13812345678", "purpose": "测量接口开销",
    })
    return {"resource_id": table["id"], "token": registration["token"]}


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def time_search(app, resource_id: str, token: str, repeat: int) -> dict[str, list[float]]:
    """Alternate metered and unmetered calls; return the times of each, in ms."""
    import ckan.plugins.toolkit as tk

    client = app.test_client()
    url = "/api/3/action/datastore_search?resource_id=%s&limit=20" % resource_id
    headers = {"Authorization": token}
    times: dict[str, list[float]] = {"metered": [], "unmetered": []}
    for index in range(repeat * 2 + 2):
        metered = index % 2 == 0
        tk.config["ckanext.tjportal.dataservice.require_token"] = metered
        start = time.perf_counter()
        response = client.get(url, headers=headers)
        elapsed = (time.perf_counter() - start) * 1000
        if response.status_code != 200:
            raise SystemExit("datastore_search failed with %d: %s" % (response.status_code, response.data[:300]))
        if index >= 2:  # the first pair warms caches
            times["metered" if metered else "unmetered"].append(elapsed)
    tk.config["ckanext.tjportal.dataservice.require_token"] = True
    return times


def dump_in_child(ini: str, resource_id: str, token: str, fmt: str) -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, __file__, "--ini", ini, "--dump", fmt, "--resource-id", resource_id, "--token", token],
        capture_output=True, text=True, check=False,
    )
    if result.returncode != 0:
        raise SystemExit("the %s dump failed:\n%s" % (fmt, result.stderr[-2000:]))
    return json.loads(result.stdout.strip().splitlines()[-1])


def run_dump(ini: str, resource_id: str, token: str, fmt: str) -> None:
    """Child process: stream one dump, then print its time, size and peak memory.

    ``before_dump_mb`` is the peak after CKAN and its plugins are loaded, so
    the dump's own share is ``peak_mb - before_dump_mb``.
    """
    app = _app(ini)
    client = app.test_client()
    baseline_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    start = time.perf_counter()
    response = client.get("/datastore/dump/%s?format=%s" % (resource_id, fmt),
                          headers={"Authorization": token}, buffered=False)
    size = 0
    for chunk in response.response:
        size += len(chunk)
    seconds = time.perf_counter() - start
    if response.status_code != 200:
        raise SystemExit("dump answered %d" % response.status_code)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"format": fmt, "seconds": round(seconds, 2), "bytes": size,
                      "peak_mb": round(peak_mb, 1), "before_dump_mb": round(baseline_mb, 1)}))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ini", required=True, help="CKAN config file of the benchmark database")
    parser.add_argument("--rows", type=int, default=200000, help="rows in the table (default 200000)")
    parser.add_argument("--repeat", type=int, default=200, help="timed calls per variant (default 200)")
    parser.add_argument("--dump", help=argparse.SUPPRESS)
    parser.add_argument("--resource-id", help=argparse.SUPPRESS)
    parser.add_argument("--token", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.dump:
        run_dump(args.ini, args.resource_id, args.token, args.dump)
        return 0
    if args.rows < 1 or args.repeat < 1:
        parser.error("--rows and --repeat must be at least 1")

    app = _app(args.ini)
    flask_app = app._wsgi_app
    with flask_app.test_request_context():
        created = create_service(args.rows)
    times = time_search(flask_app, created["resource_id"], created["token"], args.repeat)
    dumps = [dump_in_child(args.ini, created["resource_id"], created["token"], fmt) for fmt in ("csv", "xlsx")]

    metered_p50 = statistics.median(times["metered"])
    unmetered_p50 = statistics.median(times["unmetered"])
    report = {
        "rows": args.rows,
        "search": {
            "metered_p50_ms": round(metered_p50, 2),
            "unmetered_p50_ms": round(unmetered_p50, 2),
            "metered_p95_ms": round(percentile(times["metered"], 0.95), 2),
            "unmetered_p95_ms": round(percentile(times["unmetered"], 0.95), 2),
            "overhead_p50_percent": round((metered_p50 / unmetered_p50 - 1) * 100, 1),
        },
        "dumps": dumps,
        "xlsx_to_csv_time": round(dumps[1]["seconds"] / dumps[0]["seconds"], 2),
    }
    os.makedirs(os.path.join(HERE, "results"), exist_ok=True)
    path = os.path.join(HERE, "results", "api-%d.json" % args.rows)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(report, f, ensure_ascii=False, indent=2)

    search = report["search"]
    print("\ndatastore_search, limit 20, %d calls each:" % args.repeat)
    print("  metered   p50 %.1f ms  p95 %.1f ms" % (search["metered_p50_ms"], search["metered_p95_ms"]))
    print("  unmetered p50 %.1f ms  p95 %.1f ms" % (search["unmetered_p50_ms"], search["unmetered_p95_ms"]))
    print("  metering overhead at p50: %+.1f%%" % search["overhead_p50_percent"])
    print("\nDump of %d rows:" % args.rows)
    for dump in dumps:
        print("  %-4s %7.2f s  %8.1f MB file  peak memory %6.1f MB (%.1f MB before the dump)" % (
            dump["format"], dump["seconds"], dump["bytes"] / 1e6, dump["peak_mb"], dump["before_dump_mb"]))
    print("  XLSX takes %.2f times the CSV time" % report["xlsx_to_csv_time"])
    print("\nWrote %s" % os.path.relpath(path, ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
