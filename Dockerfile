# syntax=docker/dockerfile:1
#
# Build:  docker build -t association:local .
# Run:    `docker compose up -d` (see docker-compose.yml and README "Production").
#         Requires BuildKit (the default builder of current Docker) for the
#         cache mounts below.
#
# No secret is baked into the image: the app reads them at run time from the
# environment or from files (`JWT_SECRET_FILE`, `WECHAT_SECRET_FILE`,
# `DATABASE_URL_FILE`, `REDIS_URL_FILE`), and .dockerignore keeps `.env`,
# deploy/ (secrets, backups) and data/ out of the build context.
#
# Both stages are Debian 13 (trixie): the binary links against the builder's
# glibc, so the runtime must not be older. The builder is the toolchain the
# project is tested with (rustc 1.95.0); its digest could not be looked up from
# the development machine, so it is pinned by exact tag only (see README,
# "Pinned images"). The runtime is pinned by dated tag and digest.

############################################################ builder ###
FROM rust:1.95.0-slim-trixie AS builder

WORKDIR /src

# Only what the release binary needs; tests/, benches/, target/, data/ stay
# out (their targets have explicit paths in Cargo.toml, which cargo only reads
# when building them; see also .dockerignore).
COPY Cargo.toml Cargo.lock ./
COPY migration/ migration/
COPY src/ src/
COPY openapi/ openapi/

# The registry, git checkouts and target dir live in BuildKit caches, so a
# rebuild only recompiles what changed. A cache mount is not part of the
# image: the binary is copied out of it in the same step. `--locked`: the
# versions of Cargo.lock, never newer ones.
RUN --mount=type=cache,target=/usr/local/cargo/registry,sharing=locked \
    --mount=type=cache,target=/usr/local/cargo/git,sharing=locked \
    --mount=type=cache,target=/src/target,sharing=locked \
    cargo build --release --locked --bin association \
    && install -D -m 0755 target/release/association /out/association

############################################################ runtime ###
FROM debian:trixie-20260918-slim@sha256:a99cfc517144bc59b1978475ec53b46ecabec7e43635402ee5b77cc54cd1b20a AS runtime

# ca-certificates: outgoing HTTPS (WeChat API, article pages) through rustls.
# curl: the HEALTHCHECK below (the binary has no health subcommand).
# Package versions are not pinned: trixie's security updates should come in
# on every rebuild (bump the base image's date and digest to get them).
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /app --no-create-home \
       --shell /usr/sbin/nologin app \
    && mkdir -p /app \
    && chown app:app /app

WORKDIR /app

COPY --from=builder /out/association /app/association

# mimalloc (the binary's allocator) gives freed pages back at once and
# commits its arenas as it uses them: an idle process stays small (README
# "Footprint"; the same as .cargo/config.toml gives `cargo run`).
ENV APP_ENV=production \
    BIND_ADDR=0.0.0.0:8080 \
    MIMALLOC_PURGE_DELAY=0 \
    MIMALLOC_ARENA_EAGER_COMMIT=0

# Numeric, so that runtimes checking runAsNonRoot can verify it.
USER 10001:10001

EXPOSE 8080

# Liveness only (/healthz answers while the process serves); compose checks
# readiness (/readyz: database and cache) instead.
# Shell form on purpose: `|| exit 1` maps every curl failure to "unhealthy".
# hadolint ignore=DL3025
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD curl -fsS -o /dev/null --max-time 4 http://127.0.0.1:8080/healthz || exit 1

# actix-web stops gracefully on SIGTERM (in-flight requests get 30 s).
STOPSIGNAL SIGTERM

ENTRYPOINT ["/app/association"]
CMD ["serve"]
