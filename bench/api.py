"""Benchmark the metered data-service API and the XLSX download.

    python bench/api.py --ini bench/api.ini [--rows 200000] [--repeat 600]

One run, on one database:
1. creates a data service whose DataStore table has ROWS rows of Chinese
   text, numbers and dates, and a developer with an approved token;
2. times ``datastore_search`` (limit 20) through the Action API with that
   token, with metering on and with ``ckanext.tjportal.dataservice.require_token``
   switched off, alternating the two so machine load affects both alike;
3. times ``/datastore/dump/<id>`` as CSV and as XLSX, each served by a
   fresh child process that runs CKAN's WSGI app in a single-threaded HTTP
   server on 127.0.0.1, as a web worker would. The parent reads the
   response over HTTP, and the child's peak memory (``VmHWM`` in
   ``/proc/<pid>/status``) before and after the dump;
4. prints a table and writes ``bench/results/api-ROWS.json``.

Times are wall-clock on the machine running the script: compare the figures
of one run, not runs on different machines.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import random
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


def _peak_mb(pid: int) -> float:
    """Return the peak resident memory (VmHWM) of a process, in MB."""
    with open("/proc/%d/status" % pid, encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise SystemExit("no VmHWM in /proc/%d/status" % pid)


def dump_in_child(ini: str, resource_id: str, token: str, fmt: str) -> dict[str, Any]:
    """Start a server process, download one dump from it over HTTP and
    return its time, size and the server's peak memory."""
    server = subprocess.Popen(
        [sys.executable, __file__, "--ini", ini, "--serve"],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        if not line.startswith("port "):
            raise SystemExit("the dump server did not start (exit code %s)" % server.wait())
        port = int(line.split()[1])
        start_mb = _peak_mb(server.pid)
        # A worker has served requests before, so a one-row dump loads what
        # the first request of a process loads before the measured dump.
        _download(port, "/datastore/dump/%s?format=%s&limit=1" % (resource_id, fmt), token)
        before_mb = _peak_mb(server.pid)
        start = time.perf_counter()
        size = _download(port, "/datastore/dump/%s?format=%s" % (resource_id, fmt), token)
        seconds = time.perf_counter() - start
        peak_mb = _peak_mb(server.pid)
    finally:
        server.terminate()
        server.wait()
    return {"format": fmt, "seconds": round(seconds, 2), "bytes": size,
            "peak_mb": round(peak_mb, 1), "before_dump_mb": round(before_mb, 1),
            "after_start_mb": round(start_mb, 1)}


def _download(port: int, path: str, token: str) -> int:
    """GET a path from the server on 127.0.0.1 and return the body's size."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    try:
        connection.request("GET", path, headers={"Authorization": token})
        response = connection.getresponse()
        size = 0
        while True:
            chunk = response.read(64 * 1024)
            if not chunk:
                break
            size += len(chunk)
        if response.status != 200:
            raise SystemExit("%s returned %d" % (path, response.status))
        return size
    finally:
        connection.close()


def serve(ini: str) -> None:
    """Child process: serve CKAN on a free port of 127.0.0.1 and print it.

    ``after_start_mb`` is the peak once CKAN and its plugins are loaded, and
    ``before_dump_mb`` the peak after a one-row dump, so the dump's own
    share is ``peak_mb - before_dump_mb``.
    """
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, _app(ini), threaded=False)
    print("port %d" % server.server_port, flush=True)
    server.serve_forever()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ini", required=True, help="CKAN config file of the benchmark database")
    parser.add_argument("--rows", type=int, default=200000, help="rows in the table (default 200000)")
    parser.add_argument("--repeat", type=int, default=600, help="timed calls per variant (default 600)")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.ini)
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
        # Other processes slow both variants alike, but a loaded machine
        # makes every figure larger; the 1-minute load average at the end.
        "load_average": round(os.getloadavg()[0], 2),
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
        print("  %-4s %7.2f s  %8.1f MB file  peak memory %6.1f MB (%.1f MB before the dump, "
              "%.1f MB after start)" % (dump["format"], dump["seconds"], dump["bytes"] / 1e6,
                                        dump["peak_mb"], dump["before_dump_mb"], dump["after_start_mb"]))
    print("  XLSX takes %.2f times the CSV time" % report["xlsx_to_csv_time"])
    print("\nWrote %s" % os.path.relpath(path, ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
