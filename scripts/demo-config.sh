#!/usr/bin/env bash
# Write the demo portal's ckan.ini: fresh random secrets the first time,
# then the demo's settings on every run, so a rerun picks up new plugins
# and keeps the secrets (and with them the users' sessions and tokens).
#   scripts/demo-config.sh PATH HOST PORT
set -euo pipefail
ini=$1
host=${2:-127.0.0.1}
port=${3:-5000}
ckan=.venv/bin/ckan
here=$(pwd)

if [ ! -f "$ini" ]; then
    $ckan generate config "$ini" >/dev/null
    echo "Wrote $ini with new secrets"
fi
$ckan config-tool "$ini" \
    "sqlalchemy.url=postgresql://ckan_default:pass@127.0.0.1/ckan_demo" \
    "ckan.datastore.write_url=postgresql://datastore_write:pass@127.0.0.1/datastore_demo" \
    "ckan.datastore.read_url=postgresql://datastore_default:pass@127.0.0.1/datastore_demo" \
    "ckan.redis.url=redis://127.0.0.1:6379/0" \
    "ckan.site_url=http://$host:$port" \
    "ckan.site_id=tjportal-demo" \
    "ckan.storage_path=$here/demo/storage" \
    "ckan.plugins=tjportal tjportal_search scheming_datasets tjportal_downloads datastore xloader datatables_view activity tjportal_developer tjportal_feedback" \
    "ckanext.xloader.jobs_db.uri=sqlite:///$here/demo/xloader_jobs.db" \
    "ckanext.xloader.unidecode_headers=false" \
    "ckan.views.default_views=datatables_view" \
    "ckan.locale_default=zh_Hans_CN" \
    "ckan.locales_offered=zh_Hans_CN en" \
    "ckan.auth.create_unowned_dataset=false" \
    "ckan.auth.create_user_via_web=true" \
    "ckan.site_title=天津市信息资源统一开放平台" \
    "ckan.site_logo=" \
    "ckan.search.show_all_types=false" \
    "ckan.gravatar_default=disabled" >/dev/null
# The generated file logs every extension at DEBUG, which buries the load
# summary under hundreds of lines.
$ckan config-tool "$ini" -s logger_ckanext "level=INFO" >/dev/null
mkdir -p demo/storage
echo "Applied the demo settings to $ini"
