# watchstore-server container image.
#
#   docker build -t watchstore-server .
#   docker run --rm -p 8080:8080 watchstore-server            # SQLite in a container-local file
#   docker compose up                                        # with PostgreSQL and Redis (docker-compose.yml)
#
# Stage 1 builds the server with the project's own CMake on Debian 12 (the
# libraries we link are Debian's: Abseil, libpq, hiredis, cpp-httplib, libcurl, libsodium,
# SQLite, RapidJSON). Stage 2 is a slim Debian 12 with only the matching runtime
# libraries, the server binary, the SQL migrations and the static storefront.
# Configuration is by environment (WATCHSTORE_*), see docs/DEPLOY.md.
#
# Base image: debian:bookworm-slim pinned by the digest of its multi-platform
# index, so a rebuild cannot silently change the base. Refresh it (monthly, or
# for a Debian security update) with
#   docker buildx imagetools inspect debian:bookworm-slim     # "Digest:" line
# and note where it came from below. The offline test (tests/deploy/docker_test.sh)
# builds with --build-arg BASE_IMAGE=debian:bookworm-slim, a local image made
# from Debian's packages, because no registry is reachable there.
#   digest source: public Renovate-managed build records of debian:bookworm-slim;
#   not pulled or re-checked where this was written (no registry access).
ARG BASE_IMAGE=debian:bookworm-slim@sha256:d5d3f9c23164ea16f31852f95bd5959aad1c5e854332fe00f7b3a20fcc9f635c

# ---------------------------------------------------------------------------
FROM ${BASE_IMAGE} AS build

ARG DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      build-essential \
      ca-certificates \
      cmake \
      pkg-config \
      libabsl-dev \
      libcpp-httplib-dev \
      libcurl4-openssl-dev \
      libhiredis-dev \
      libpq-dev \
      libsodium-dev \
      libsqlite3-dev \
      rapidjson-dev \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /src
# .dockerignore keeps build trees, node_modules, git metadata and secrets out.
COPY . .

ARG CMAKE_BUILD_TYPE=Release
ARG BUILD_JOBS=2
RUN cmake -S . -B /build \
      -DCMAKE_BUILD_TYPE="${CMAKE_BUILD_TYPE}" \
      -DWATCHSTORE_BUILD_TESTS=OFF \
      -DWATCHSTORE_BUILD_BENCH=OFF \
      -DWATCHSTORE_BUILD_EXAMPLES=OFF \
      -DWATCHSTORE_WERROR=OFF \
 && cmake --build /build -j"${BUILD_JOBS}" --target watchstore-server \
 && install -D -m 0755 /build/bindings/http/watchstore-server /out/usr/local/bin/watchstore-server \
 && strip --strip-unneeded /out/usr/local/bin/watchstore-server \
 && install -D -m 0755 deploy/container-healthcheck.sh /out/usr/local/bin/watchstore-healthcheck \
 && mkdir -p /out/usr/share/watchstore \
 && cp -r sql /out/usr/share/watchstore/sql \
 && cp -r frontend /out/usr/share/watchstore/frontend

# ---------------------------------------------------------------------------
FROM ${BASE_IMAGE} AS runtime

ARG DEBIAN_FRONTEND=noninteractive
# Runtime libraries matching the -dev packages above (Debian 12 sonames),
# curl for the HEALTHCHECK, tini as PID 1 (signal forwarding, zombie reaping).
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      ca-certificates \
      curl \
      libabsl20220623 \
      libcpp-httplib0.11 \
      libcurl4 \
      libhiredis0.14 \
      libpq5 \
      libsodium23 \
      libsqlite3-0 \
      tini \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 watchstore \
 && useradd --system --uid 10001 --gid watchstore --no-create-home \
      --home-dir /var/lib/watchstore --shell /usr/sbin/nologin watchstore \
 && install -d -o watchstore -g watchstore -m 0750 /var/lib/watchstore

COPY --from=build /out/ /

# Fail the build, not the first start, if a shared library is missing.
RUN ldd /usr/local/bin/watchstore-server > /tmp/ldd.txt \
 && if grep -q 'not found' /tmp/ldd.txt; then cat /tmp/ldd.txt; exit 1; fi \
 && rm -f /tmp/ldd.txt

LABEL org.opencontainers.image.title="watchstore-server" \
      org.opencontainers.image.description="watchstore online watch store: HTTP API server and static storefront" \
      org.opencontainers.image.source="https://github.com/watchstore/watchstore" \
      org.opencontainers.image.licenses="UNLICENSED"

# Defaults for a container; every one can be overridden at run time.
# WATCHSTORE_DATABASE_URL defaults to an SQLite file: mount a volume on
# /var/lib/watchstore to keep it, or point it at PostgreSQL
# (postgres://user:pass@host:5432/db?sslmode=require).
# Without WATCHSTORE_SMTP_URL, e-mail is written to WATCHSTORE_MAIL_DIR (a
# tmpfs in the shipped deployments: set an SMTP relay for real customers).
ENV WATCHSTORE_LISTEN=0.0.0.0:8080 \
    WATCHSTORE_DATABASE_URL=/var/lib/watchstore/watchstore.db \
    WATCHSTORE_MAIL_DIR=/tmp/watchstore-mail \
    WATCHSTORE_STATIC_DIR=/usr/share/watchstore/frontend

WORKDIR /var/lib/watchstore
USER 10001:10001
EXPOSE 8080

# Liveness only (/healthz); readiness (/readyz) is the load balancer's business.
# The script follows the port in WATCHSTORE_LISTEN (host:port). Failures in the
# first 10 s (start period) do not count.
HEALTHCHECK --interval=15s --timeout=4s --start-period=10s --retries=4 \
  CMD ["/usr/local/bin/watchstore-healthcheck"]

STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/bin/tini", "--", "/usr/local/bin/watchstore-server"]
CMD ["serve"]
