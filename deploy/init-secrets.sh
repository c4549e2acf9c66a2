#!/usr/bin/env bash
# Writes the secret files docker-compose.yml mounts as Compose secrets:
#
#   deploy/secrets/postgres_password  PostgreSQL password of the role `association`
#   deploy/secrets/database_url       postgres://association:<that password>@postgres:5432/association
#   deploy/secrets/redis_acl          Redis ACL: user `association` (everything), `default` (PING only)
#   deploy/secrets/redis_url          redis://association:<its password>@redis:6379
#   deploy/secrets/jwt_secret         HS256 key of the access tokens (64 random bytes, hex)
#   deploy/secrets/wechat_secret      the mini-program's AppSecret (from $WECHAT_SECRET or asked for)
#
# An existing file is kept (run it again after adding a missing one); pass
# --rotate-redis to replace the Redis password (Redis keeps nothing durable).
# The directory is 0700 (root only on the host); the files are 0644 because
# the containers read them as their own users (app 10001, postgres and redis 999).
#
# Changing postgres_password later does not change the password of an
# existing database: see README "Production" (ALTER ROLE).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="${SECRETS_DIR:-${ROOT}/deploy/secrets}"
ROTATE_REDIS=false

for arg in "$@"; do
    case "${arg}" in
        --rotate-redis) ROTATE_REDIS=true ;;
        -h | --help)
            sed -n '2,18p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
            exit 0
            ;;
        *)
            printf 'init-secrets: unknown argument %s\n' "${arg}" >&2
            exit 2
            ;;
    esac
done

# 32 random bytes as 64 hex digits: safe in a URL without escaping.
random_hex() {
    od -An -N"${1:-32}" -tx1 /dev/urandom | tr -d ' \n'
}

# Writes a value without a trailing newline, readable by the containers.
write() {
    local name="$1" value="$2"
    (umask 022 && printf '%s' "${value}" >"${DIR}/${name}.tmp")
    chmod 0644 "${DIR}/${name}.tmp"
    mv -f "${DIR}/${name}.tmp" "${DIR}/${name}"
    printf 'wrote %s\n' "${DIR}/${name}"
}

have() {
    [[ -s "${DIR}/$1" ]]
}

install -d -m 0700 "${DIR}"

if ! have postgres_password; then
    write postgres_password "$(random_hex 32)"
fi
if ! have database_url; then
    pg_password="$(<"${DIR}/postgres_password")"
    write database_url "postgres://association:${pg_password}@postgres:5432/association"
fi

if ${ROTATE_REDIS} || ! have redis_acl || ! have redis_url; then
    redis_password="$(random_hex 32)"
    write redis_acl "user default on nopass -@all +ping
user association on >${redis_password} ~* &* +@all
"
    write redis_url "redis://association:${redis_password}@redis:6379"
fi

if ! have jwt_secret; then
    write jwt_secret "$(random_hex 64)"
fi

if ! have wechat_secret; then
    secret="${WECHAT_SECRET:-}"
    if [[ -z "${secret}" && -t 0 ]]; then
        read -r -s -p "WeChat AppSecret of the mini-program (not shown): " secret
        printf '\n'
    fi
    if [[ -z "${secret}" ]]; then
        printf 'init-secrets: set WECHAT_SECRET or run interactively to write %s/wechat_secret\n' \
            "${DIR}" >&2
        exit 1
    fi
    write wechat_secret "${secret}"
fi

printf 'secrets in %s are complete\n' "${DIR}"
