#!/usr/bin/env bash
# Restores a dump made by deploy/backup.sh into the compose stack's database.
#
#   deploy/restore.sh deploy/backups/association-20261201T031500Z.dump
#
# Steps: read the dump whole (a truncated one stops here, nothing touched);
# stop caddy and app (no writes during the restore); pg_restore it into a new
# database `<db>_restoring` in one transaction (--exit-on-error: all or
# nothing; on failure it is dropped and the current database is untouched);
# then rename the current database to `<db>_before_restore` (kept, replacing
# an older one, as an instant way back) and the restored one to `<db>`; start
# the stack again, whose one-shot `migrate` applies any migration newer than
# the dump.
#
# Asks for confirmation unless --yes. Environment: DB_NAME / DB_USER
# (default association).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

DB_NAME="${DB_NAME:-association}"
DB_USER="${DB_USER:-association}"
YES=false
DUMP=""

for arg in "$@"; do
    case "${arg}" in
        --yes) YES=true ;;
        -h | --help)
            sed -n '2,17p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
            exit 0
            ;;
        -*)
            printf 'restore: unknown option %s\n' "${arg}" >&2
            exit 2
            ;;
        *) DUMP="${arg}" ;;
    esac
done

if [[ -z "${DUMP}" || ! -s "${DUMP}" ]]; then
    printf 'usage: deploy/restore.sh [--yes] DUMP_FILE\n' >&2
    exit 2
fi
DUMP="$(cd "$(dirname "${DUMP}")" && pwd)/$(basename "${DUMP}")"
cd "${ROOT}"

NEW="${DB_NAME}_restoring"
OLD="${DB_NAME}_before_restore"

pg() {
    docker compose exec -T postgres "$@"
}
sql() {
    pg psql --username="${DB_USER}" --dbname=postgres -v ON_ERROR_STOP=1 -q "$@"
}

docker compose up -d --wait postgres
# Read it whole before anything is touched: a truncated dump stops here.
pg pg_restore --file=/dev/null <"${DUMP}"

if ! ${YES}; then
    printf 'This replaces database %s with %s\n(the current one is kept as %s).\nType "restore" to go on: ' \
        "${DB_NAME}" "${DUMP}" "${OLD}"
    read -r answer
    if [[ "${answer}" != "restore" ]]; then
        printf 'restore: nothing changed\n'
        exit 1
    fi
fi

docker compose stop caddy app

sql -c "DROP DATABASE IF EXISTS \"${NEW}\" WITH (FORCE)" \
    -c "CREATE DATABASE \"${NEW}\" OWNER \"${DB_USER}\""
if ! pg pg_restore --username="${DB_USER}" --dbname="${NEW}" \
    --single-transaction --exit-on-error --no-owner --role="${DB_USER}" <"${DUMP}"; then
    sql -c "DROP DATABASE IF EXISTS \"${NEW}\" WITH (FORCE)"
    printf 'restore: pg_restore failed; database %s is unchanged\n' "${DB_NAME}" >&2
    docker compose up -d
    exit 1
fi

sql -c "DROP DATABASE IF EXISTS \"${OLD}\" WITH (FORCE)"
if [[ -n "$(sql -At -c "SELECT 1 FROM pg_database WHERE datname = '${DB_NAME}'")" ]]; then
    sql -c "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '${DB_NAME}' AND pid <> pg_backend_pid()" \
        -c "ALTER DATABASE \"${DB_NAME}\" RENAME TO \"${OLD}\"" >/dev/null
fi
sql -c "ALTER DATABASE \"${NEW}\" RENAME TO \"${DB_NAME}\""
printf 'restore: %s restored from %s; the previous one is %s\n' "${DB_NAME}" "${DUMP}" "${OLD}"
printf 'restore: once all is well: docker compose exec postgres dropdb -U %s %s\n' "${DB_USER}" "${OLD}"

docker compose up -d
