# syntax=docker/dockerfile:1
#
# Build:  docker build -t association .
# Run:    docker run -p 8080:8080 -e DATABASE_URL=... -e JWT_SECRET=... association
# (or `docker compose up`, see docker-compose.yml). Requires BuildKit
# (the default builder of current Docker) for the cache mounts below.

############################################################ builder ###
FROM rust:1.95-bookworm AS builder

WORKDIR /src

# Only what the release binary needs; tests/, target/, data/ stay out
# (see also .dockerignore).
# tests/ and benches/ stay out of the image: their targets have explicit
# paths in Cargo.toml, which cargo only reads when building them.
COPY Cargo.toml Cargo.lock ./
COPY migration/ migration/
COPY src/ src/
COPY openapi/ openapi/

# The registry, git checkouts and target dir live in BuildKit caches, so a
# rebuild only recompiles what changed. A cache mount is not part of the
# image: the binary is copied out of it in the same step.
RUN --mount=type=cache,target=/usr/local/cargo/registry,sharing=locked \
    --mount=type=cache,target=/usr/local/cargo/git,sharing=locked \
    --mount=type=cache,target=/src/target,sharing=locked \
    cargo build --release --locked --bin association \
    && install -D -m 0755 target/release/association /out/association

############################################################ runtime ###
FROM debian:bookworm-slim AS runtime

# ca-certificates: outgoing HTTPS (WeChat API) through rustls.
# curl: the HEALTHCHECK below (the binary has no health subcommand).
# Versions are not pinned: bookworm's security updates should come in.
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

ENV APP_ENV=production \
    BIND_ADDR=0.0.0.0:8080

# Numeric, so that runtimes checking runAsNonRoot can verify it.
USER 10001:10001

EXPOSE 8080

# Shell form on purpose: `|| exit 1` maps every curl failure to "unhealthy".
# hadolint ignore=DL3025
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD curl -fsS -o /dev/null --max-time 4 http://127.0.0.1:8080/healthz || exit 1

ENTRYPOINT ["/app/association"]
CMD ["serve"]
