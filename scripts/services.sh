#!/usr/bin/env bash
# Install (when missing), start (when stopped) and prepare PostgreSQL and Redis
# for the portal.
#
#   scripts/services.sh install          install missing system packages
#   scripts/services.sh start            start PostgreSQL and Redis
#   scripts/services.sh databases PREFIX [--fresh]
#                                        create roles and the PREFIX databases;
#                                        --fresh drops existing ones first
#   scripts/services.sh sql DATABASE     run the SQL read from stdin as the
#                                        PostgreSQL superuser
#
# PREFIX is "demo" or "test": it names the CKAN database (ckan_PREFIX) and the
# DataStore database (datastore_PREFIX). Every step is idempotent.
set -euo pipefail

PG_VERSION="${PG_VERSION:-15}"
PG_PORT="${PG_PORT:-5432}"
REDIS_PORT="${REDIS_PORT:-6379}"

# Roles shared by the demo and the test databases. The passwords only guard
# servers that listen on 127.0.0.1.
CKAN_ROLE=ckan_default
CKAN_PASSWORD=pass
DS_WRITE_ROLE=datastore_write
DS_WRITE_PASSWORD=pass
DS_READ_ROLE=datastore_default
DS_READ_PASSWORD=pass

die() {
    echo "error: $*" >&2
    exit 1
}

is_root() {
    [ "$(id -u)" -eq 0 ]
}

pg_running() {
    pg_isready -q -h 127.0.0.1 -p "$PG_PORT" 2>/dev/null
}

redis_running() {
    redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG
}

install_missing() {
    local missing=()
    command -v pg_ctlcluster >/dev/null || missing+=("postgresql-$PG_VERSION")
    command -v pg_isready >/dev/null || missing+=("postgresql-client-$PG_VERSION")
    command -v redis-server >/dev/null || missing+=(redis-server)
    command -v redis-cli >/dev/null || missing+=(redis-tools)
    command -v gcc >/dev/null || missing+=(gcc)
    command -v pg_config >/dev/null || missing+=(libpq-dev)
    python3 -c "import ensurepip, venv" 2>/dev/null || missing+=(python3-venv)
    [ -e "$(python3 -c 'import sysconfig; print(sysconfig.get_paths()["include"])')/Python.h" ] \
        || missing+=(python3-dev)
    ldconfig -p 2>/dev/null | grep -q libmagic.so.1 || missing+=(libmagic1)
    [ ${#missing[@]} -eq 0 ] && return 0

    if ! is_root; then
        die "missing system packages: ${missing[*]}.
Install them as root, for example: apt-get install -y ${missing[*]}"
    fi
    echo "Installing ${missing[*]} with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}" >/dev/null
}

start_postgres() {
    pg_running && return 0
    is_root || die "PostgreSQL is not running on 127.0.0.1:$PG_PORT. Start it as root: pg_ctlcluster $PG_VERSION main start"
    if ! pg_lsclusters -h 2>/dev/null | awk '{print $1"/"$2}' | grep -qx "$PG_VERSION/main"; then
        pg_createcluster "$PG_VERSION" main -p "$PG_PORT" >/dev/null
    fi
    pg_ctlcluster "$PG_VERSION" main start
    for _ in $(seq 1 30); do
        pg_running && return 0
        sleep 1
    done
    die "PostgreSQL did not start; see /var/log/postgresql/postgresql-$PG_VERSION-main.log"
}

start_redis() {
    redis_running && return 0
    redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --daemonize yes \
        --save "" --appendonly no >/dev/null
    for _ in $(seq 1 30); do
        redis_running && return 0
        sleep 1
    done
    die "Redis did not start on 127.0.0.1:$REDIS_PORT"
}

psql_admin() {
    if is_root; then
        (cd / && runuser -u postgres -- psql -v ON_ERROR_STOP=1 -q -p "$PG_PORT" "$@")
    else
        psql -v ON_ERROR_STOP=1 -q -h 127.0.0.1 -p "$PG_PORT" "$@"
    fi
}

ensure_role() {
    local role=$1 password=$2
    psql_admin -d postgres <<SQL
DO \$\$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$role') THEN
        CREATE ROLE $role LOGIN PASSWORD '$password';
    END IF;
END
\$\$;
SQL
}

ensure_database() {
    local db=$1 owner=$2
    if ! psql_admin -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1; then
        psql_admin -d postgres -c "CREATE DATABASE $db OWNER $owner ENCODING 'UTF8' TEMPLATE template0"
    fi
}

# The read-only DataStore role may read the tables the write role creates,
# and nothing in the CKAN database.
grant_datastore_permissions() {
    local ckan_db=$1 ds_db=$2
    psql_admin -d "$ckan_db" <<SQL
REVOKE CONNECT ON DATABASE $ckan_db FROM PUBLIC;
GRANT CONNECT ON DATABASE $ckan_db TO $CKAN_ROLE;
GRANT CONNECT ON DATABASE $ckan_db TO $DS_WRITE_ROLE;
REVOKE USAGE ON SCHEMA public FROM $DS_READ_ROLE;
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM $DS_READ_ROLE;
SQL
    psql_admin -d "$ds_db" <<SQL
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
REVOKE USAGE ON SCHEMA public FROM PUBLIC;
GRANT CREATE ON SCHEMA public TO $DS_WRITE_ROLE;
GRANT USAGE ON SCHEMA public TO $DS_WRITE_ROLE;
GRANT USAGE ON SCHEMA public TO $DS_READ_ROLE;
GRANT CONNECT ON DATABASE $ds_db TO $DS_READ_ROLE;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO $DS_READ_ROLE;
ALTER DEFAULT PRIVILEGES FOR USER $DS_WRITE_ROLE IN SCHEMA public
    GRANT SELECT ON TABLES TO $DS_READ_ROLE;
SQL
}

drop_database() {
    local db=$1
    psql_admin -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)"
}

create_databases() {
    local prefix=$1 fresh=${2:-}
    [[ "$prefix" =~ ^[a-z][a-z0-9_]*$ ]] \
        || die "invalid database prefix '$prefix': use lowercase letters, digits and _"
    if [ "$fresh" = "--fresh" ]; then
        drop_database "ckan_$prefix"
        drop_database "datastore_$prefix"
    elif [ -n "$fresh" ]; then
        die "unknown option '$fresh': the only option is --fresh"
    fi
    ensure_role "$CKAN_ROLE" "$CKAN_PASSWORD"
    ensure_role "$DS_WRITE_ROLE" "$DS_WRITE_PASSWORD"
    ensure_role "$DS_READ_ROLE" "$DS_READ_PASSWORD"
    ensure_database "ckan_$prefix" "$CKAN_ROLE"
    ensure_database "datastore_$prefix" "$DS_WRITE_ROLE"
    grant_datastore_permissions "ckan_$prefix" "datastore_$prefix"
}

case "${1:-}" in
    install)
        install_missing
        ;;
    start)
        install_missing
        start_postgres
        start_redis
        ;;
    databases)
        [ -n "${2:-}" ] || die "usage: $0 databases PREFIX [--fresh]"
        create_databases "$2" "${3:-}"
        ;;
    sql)
        [ -n "${2:-}" ] || die "usage: $0 sql DATABASE < FILE.sql"
        psql_admin -d "$2"
        ;;
    *)
        die "usage: $0 install | start | databases PREFIX [--fresh] | sql DATABASE"
        ;;
esac
