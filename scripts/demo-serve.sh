#!/usr/bin/env bash
# Serve the demo portal with its background-job worker beside it.
#   scripts/demo-serve.sh INI HOST PORT
# The worker (xloader's loading of uploaded CSV and XLSX files) logs to
# demo/worker.log and stops when the web server stops.
set -euo pipefail
ini=$1
host=${2:-127.0.0.1}
port=${3:-5000}

bash scripts/demo-worker.sh "$ini" token
bash scripts/demo-worker.sh "$ini" > demo/worker.log 2>&1 &
worker=$!
trap 'kill "$worker" 2>/dev/null || true' EXIT INT TERM
echo "Started the background-job worker (log: demo/worker.log)"
echo "Serving the portal on http://$host:$port (Ctrl-C stops it)"
if [ -f demo/admin-password.txt ]; then
    echo "Log in as the sysadmin 'admin'; its password is in demo/admin-password.txt"
fi
.venv/bin/ckan -c "$ini" run --host "$host" --port "$port" --disable-reloader
