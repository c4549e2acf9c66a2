#!/usr/bin/env bash
# Backs up the PostgreSQL database of the compose stack: everything durable,
# the nominations' attachments (photos, certificates, scans) included — they
# are bytea columns of nomination_attachments, not files.
#
#   deploy/backup.sh                 # → deploy/backups/association-<UTC time>.dump
#   BACKUP_LABEL=pre-upgrade deploy/backup.sh   # → association-pre-upgrade-<UTC time>.dump
#
# pg_dump runs inside the postgres container (same version as the server) and
# takes one consistent snapshot while the app keeps serving. The dump is in
# pg_dump's custom format (compressed; restore with deploy/restore.sh), written
# to a temporary name, read back whole with pg_restore (a truncated or corrupt
# dump fails here, not on the day of a restore), checked to hold the
# attachments table, and only then given its final name, never over an
# existing file (mode 0600: it holds personal data — copy it off the host,
# encrypted).
#
# Environment: BACKUP_LABEL (optional word in the file name), BACKUP_DIR (default deploy/backups), BACKUP_KEEP_DAYS (default
# 14; older dumps in BACKUP_DIR are deleted, 0 keeps all), DB_NAME / DB_USER
# (default association). Cron, daily at 03:15:
#   15 3 * * * cd /srv/association && deploy/backup.sh >>/var/log/association-backup.log 2>&1
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "${ROOT}"

DIR="${BACKUP_DIR:-${ROOT}/deploy/backups}"
KEEP_DAYS="${BACKUP_KEEP_DAYS:-14}"
DB_NAME="${DB_NAME:-association}"
DB_USER="${DB_USER:-association}"
LABEL="${BACKUP_LABEL:-}"

if ! [[ "${LABEL}" =~ ^[a-z0-9-]*$ ]]; then
    printf 'backup: BACKUP_LABEL may hold only a-z, 0-9 and -\n' >&2
    exit 2
fi
if ! [[ "${KEEP_DAYS}" =~ ^[0-9]+$ ]]; then
    printf 'backup: BACKUP_KEEP_DAYS must be a number of days, not %s\n' "${KEEP_DAYS}" >&2
    exit 2
fi

install -d -m 0700 "${DIR}"
umask 077

stamp="$(date -u +%Y%m%dT%H%M%SZ)"
out="${DIR}/${DB_NAME}-${LABEL:+${LABEL}-}${stamp}.dump"
if [[ -e "${out}" ]]; then
    printf 'backup: %s exists already; not overwriting it\n' "${out}" >&2
    exit 1
fi
tmp="${out}.partial"
trap 'rm -f "${tmp}"' EXIT

docker compose exec -T postgres \
    pg_dump --username="${DB_USER}" --dbname="${DB_NAME}" --format=custom --compress=6 \
    >"${tmp}"

# Read it back whole (every data block decompressed, the SQL thrown away),
# then its table of contents.
docker compose exec -T postgres pg_restore --file=/dev/null <"${tmp}"
toc="$(docker compose exec -T postgres pg_restore --list <"${tmp}")"
if ! grep -q 'TABLE DATA public nomination_attachments ' <<<"${toc}"; then
    printf 'backup: %s has no data of nomination_attachments; not keeping it\n' "${tmp}" >&2
    exit 1
fi

mv -n "${tmp}" "${out}"
trap - EXIT
printf 'backup: wrote %s (%s bytes, %s entries)\n' \
    "${out}" "$(wc -c <"${out}" | tr -d ' ')" "$(grep -cv '^;' <<<"${toc}")"

if ((KEEP_DAYS > 0)); then
    find "${DIR}" -maxdepth 1 -type f -name "${DB_NAME}-*.dump" -mtime "+${KEEP_DAYS}" \
        -print -delete | sed 's/^/backup: deleted /'
fi
