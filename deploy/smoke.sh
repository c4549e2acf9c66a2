#!/usr/bin/env bash
# Runs the production wiring without Docker, on loopback only: Caddy with
# deploy/Caddyfile (plain HTTP on 127.0.0.1, since no certificate can be had
# here) in front of the app binary in APP_ENV=production reading every secret
# from files written by deploy/init-secrets.sh, a Redis started with that
# script's ACL file, and a scratch PostgreSQL database. Checks:
#
#   - `association migrate up` (the compose `migrate` service) then `serve`
#     start with *_FILE secrets; /readyz through Caddy is 200 (database and
#     Redis with the ACL user answer); Redis's `default` user may only PING
#   - /metrics is 404 through Caddy, 200 on the app itself
#   - Caddy's security headers; no Server header
#   - the login limit (20 a minute) keys on the real client address that
#     Caddy forwards: 25 logins from 127.0.0.2, each with another spoofed
#     X-Forwarded-For and Forwarded header, are throttled after 20, while
#     127.0.0.3 still gets through (TRUSTED_PROXIES=127.0.0.1, Caddy's address)
#   - with the app down, Caddy answers 503 problem+json SERVICE_UNAVAILABLE
#
# Needs caddy, redis-server, redis-cli, psql, curl and a built binary
# (APP_BIN, default target/debug/association). SMOKE_DATABASE_URL is an admin
# URL (default postgres://root@127.0.0.1:5432/test); a database is created and
# dropped. Ports: 18480 (Caddy), 18481 (app), 18479 (Redis), 2019 (Caddy admin).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "${ROOT}"

APP_BIN="${APP_BIN:-${ROOT}/target/debug/association}"
ADMIN_URL="${SMOKE_DATABASE_URL:-postgres://root@127.0.0.1:5432/test}"
CADDY_PORT=18480
APP_PORT=18481
REDIS_PORT=18479
DB="deploy_smoke_$$"
TMP="$(mktemp -d)"
PIDS=()
FAILED=0

cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do
        kill "${pid}" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        wait "${pid}" 2>/dev/null || true
    done
    psql "${ADMIN_URL}" -qc "DROP DATABASE IF EXISTS ${DB} WITH (FORCE)" >/dev/null 2>&1 || true
    rm -rf "${TMP}"
}
trap cleanup EXIT

ok() { printf 'ok:   %s\n' "$*"; }
bad() {
    printf 'FAIL: %s\n' "$*" >&2
    FAILED=1
}
# check DESCRIPTION COMMAND...: ok when the command succeeds.
check() {
    local description="$1"
    shift
    if "$@"; then ok "${description}"; else bad "${description}"; fi
}
not() { ! "$@"; }

# Waits (at most 30 s) for a URL to answer 200.
wait_for() {
    local url="$1" i
    for i in $(seq 1 60); do
        if curl -fsS -o /dev/null --max-time 2 "${url}" 2>/dev/null; then
            return 0
        fi
        sleep 0.5
    done
    printf 'smoke: %s did not answer (i=%s)\n' "${url}" "${i}" >&2
    return 1
}

for tool in caddy redis-server redis-cli psql curl; do
    command -v "${tool}" >/dev/null || { printf 'smoke: needs %s\n' "${tool}" >&2; exit 2; }
done
[[ -x "${APP_BIN}" ]] || { printf 'smoke: no binary at %s (cargo build)\n' "${APP_BIN}" >&2; exit 2; }

# Secrets exactly as on the server; the two URLs are rewritten for loopback.
SECRETS="${TMP}/secrets"
SECRETS_DIR="${SECRETS}" WECHAT_SECRET=smoke-not-a-real-secret deploy/init-secrets.sh >/dev/null
redis_password="$(sed -n 's/^user association on >\([0-9a-f]*\) .*/\1/p' "${SECRETS}/redis_acl")"
[[ -n "${redis_password}" ]] || { printf 'smoke: no password in redis_acl\n' >&2; exit 1; }
printf 'redis://association:%s@127.0.0.1:%s' "${redis_password}" "${REDIS_PORT}" >"${SECRETS}/redis_url"
printf '%s' "${ADMIN_URL%/*}/${DB}" >"${SECRETS}/database_url"
psql "${ADMIN_URL}" -qc "CREATE DATABASE ${DB}" >/dev/null

redis-server --port "${REDIS_PORT}" --bind 127.0.0.1 --aclfile "${SECRETS}/redis_acl" \
    --save '' --appendonly no --logfile "${TMP}/redis.log" &
PIDS+=("$!")
sleep 0.5
if [[ "$(redis-cli -p "${REDIS_PORT}" ping)" == PONG ]]; then ok "redis default user may PING"; else bad "redis PING"; fi
if redis-cli -p "${REDIS_PORT}" set smoke 1 2>&1 | grep -q NOPERM; then
    ok "redis default user may not SET"
else
    bad "redis default user can write"
fi

export APP_ENV=production BIND_ADDR="127.0.0.1:${APP_PORT}" \
    DATABASE_URL_FILE="${SECRETS}/database_url" REDIS_URL_FILE="${SECRETS}/redis_url" \
    JWT_SECRET_FILE="${SECRETS}/jwt_secret" WECHAT_SECRET_FILE="${SECRETS}/wechat_secret" \
    WECHAT_APPID=wxsmoke WECHAT_API_BASE=http://127.0.0.1:9 TRUSTED_PROXIES=127.0.0.1 \
    RUST_LOG=warn
if (cd "${TMP}" && "${APP_BIN}" migrate up >"${TMP}/migrate.log" 2>&1); then
    ok "migrate up (one-shot) with *_FILE secrets"
else
    bad "migrate up: $(tail -n 3 "${TMP}/migrate.log")"
fi
(cd "${TMP}" && exec "${APP_BIN}" serve >"${TMP}/app.log" 2>&1) &
APP_PID="$!"
PIDS+=("${APP_PID}")
wait_for "http://127.0.0.1:${APP_PORT}/healthz"

DOMAIN="http://127.0.0.1:${CADDY_PORT}" ACME_EMAIL=smoke@example.org \
    UPSTREAM_HOST=localhost UPSTREAM_PORT="${APP_PORT}" \
    XDG_DATA_HOME="${TMP}/caddy-data" XDG_CONFIG_HOME="${TMP}/caddy-config" \
    caddy run --config deploy/Caddyfile --adapter caddyfile >"${TMP}/caddy.log" 2>&1 &
PIDS+=("$!")
EDGE="http://127.0.0.1:${CADDY_PORT}"
wait_for "${EDGE}/healthz"

status() { curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$@"; }

check "/readyz through Caddy: 200" [ "$(status "${EDGE}/readyz")" = 200 ]
check "/metrics through Caddy: 404" [ "$(status "${EDGE}/metrics")" = 404 ]
check "/metrics on the app itself: 200" [ "$(status "http://127.0.0.1:${APP_PORT}/metrics")" = 200 ]
headers="$(curl -s -D - -o /dev/null --max-time 10 "${EDGE}/healthz")"
check "HSTS header" grep -qi '^strict-transport-security: max-age=31536000' <<<"${headers}"
check "nosniff header" grep -qi '^x-content-type-options: nosniff' <<<"${headers}"
check "no Server header" not grep -qi '^server:' <<<"${headers}"

login() {
    local from="$1" i="$2"
    curl -s -o /dev/null -w '%{http_code}' --max-time 20 --interface "${from}" \
        -H 'Content-Type: application/json' \
        -H "X-Forwarded-For: 203.0.113.${i}" -H "Forwarded: for=198.51.100.${i}" \
        -d "{\"code\":\"smoke-code-${i}\"}" "${EDGE}/api/v1/auth/wechat/login"
}
throttled=0
for i in $(seq 1 25); do
    [[ "$(login 127.0.0.2 "${i}")" == 429 ]] && throttled=$((throttled + 1))
done
if ((throttled == 5)); then
    ok "25 spoofed logins from 127.0.0.2 through Caddy: ${throttled} throttled (limit 20)"
else
    bad "25 spoofed logins from 127.0.0.2 through Caddy: ${throttled} throttled, expected 5"
fi
other="$(login 127.0.0.3 1)"
check "127.0.0.3 has its own limit (answered ${other}, not 429; Caddy's address is not the key)" \
    [ "${other}" != 429 ]

kill "${APP_PID}"
wait "${APP_PID}" 2>/dev/null || true
body="$(curl -s -D "${TMP}/down.h" --max-time 15 "${EDGE}/api/v1/server-info")"
if grep -q '^HTTP/[0-9.]* 503' "${TMP}/down.h" && grep -qi '^content-type: application/problem+json' "${TMP}/down.h" &&
    grep -q '"code":"SERVICE_UNAVAILABLE"' <<<"${body}"; then
    ok "app down: Caddy answers 503 problem+json SERVICE_UNAVAILABLE"
else
    bad "app down: $(head -n 1 "${TMP}/down.h") ${body}"
fi

if ((FAILED)); then
    printf '\nsmoke: FAILED; logs:\n' >&2
    tail -n 20 "${TMP}/app.log" "${TMP}/caddy.log" >&2 || true
    exit 1
fi
printf '\nsmoke: all passed\n'
