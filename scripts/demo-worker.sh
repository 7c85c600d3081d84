#!/usr/bin/env bash
# Give ckanext-xloader an API token of the demo sysadmin, then run the
# background-job worker that loads uploaded CSV and XLSX files into the
# DataStore.
#   scripts/demo-worker.sh INI          write the token if needed, then run the worker
#   scripts/demo-worker.sh INI token    only write the token
# The web server reads the token at start-up, so start (or restart) it after
# the token has been written. Run after `make demo-data`, which creates the
# sysadmin 'admin'.
set -euo pipefail
ini=$1
mode=${2:-run}
ckan=.venv/bin/ckan
admin=admin
token_name=xloader

# xloader 2.6.0 downloads each file from the site and reports the job's
# state to the site's xloader_hook action, both over HTTP with this token.
if ! $ckan -c "$ini" user token list "$admin" 2>/dev/null | grep -q "\] $token_name -" \
        || ! grep -Eq '^ckanext\.xloader\.api_token *= *[^ N]' "$ini"; then
    token=$($ckan -c "$ini" user token add "$admin" "$token_name" | tail -n 1 | tr -d '[:space:]')
    if [ -z "$token" ]; then
        echo "Creating an API token for '$admin' failed; run make demo-data first" >&2
        exit 1
    fi
    $ckan config-tool "$ini" "ckanext.xloader.api_token=$token" >/dev/null
    echo "Wrote a new xloader API token of '$admin' to $ini; restart the web server"
fi

if [ "$mode" = "token" ]; then
    exit 0
fi
echo "Running the background-job worker (Ctrl-C stops it)"
exec $ckan -c "$ini" jobs worker
