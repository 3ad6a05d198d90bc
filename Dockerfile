# syntax=docker/dockerfile:1
# cldscan container image (docs/deploy.md): a build stage installs the package into a
# venv; the runtime stage copies only that venv onto the same base and runs it as the
# non-root uid 10001. It writes nothing outside /data (mount a volume) and stdout, so it
# runs with a read-only root filesystem. BASE_IMAGE lets air-gapped builds use a local
# base (.ci/make-base-image); PIP_CERT names a CA bundle for pip inside the build.
ARG BASE_IMAGE=python:3.12-slim-bookworm

FROM ${BASE_IMAGE} AS build
ARG PIP_CERT=
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PIP_ROOT_USER_ACTION=ignore \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
COPY pyproject.toml README.md LICENSE ./
COPY scanner ./scanner
COPY checks ./checks
COPY providers ./providers
COPY fixtures ./fixtures
# Bytecode is compiled once here (unchecked-hash: valid whatever the files' times), so a
# read-only container starts fast without writing any; bundled test suites and pip go.
RUN python3 -m venv /opt/cldscan \
 && /opt/cldscan/bin/pip install --no-compile ${PIP_CERT:+--cert "$PIP_CERT"} . \
 && /opt/cldscan/bin/pip uninstall --yes --quiet pip setuptools \
 && find /opt/cldscan -depth -type d \( -name tests -o -name __pycache__ \) -exec rm -rf {} + \
 && /opt/cldscan/bin/python -m compileall -qq -j 0 --invalidation-mode unchecked-hash \
      /opt/cldscan/lib \
 && /opt/cldscan/bin/cldscan --version

FROM ${BASE_IMAGE}
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG CREATED=unknown
LABEL org.opencontainers.image.title="cldscan" \
      org.opencontainers.image.description="Cloud posture scanner for the ISO/IEC 27017 cloud controls" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.source="https://github.com/cldscan/cldscan" \
      org.opencontainers.image.licenses="Apache-2.0"
RUN useradd --uid 10001 --user-group --no-create-home --home-dir /home/cldscan \
      --shell /usr/sbin/nologin cldscan \
 && mkdir -p /home/cldscan /data \
 && chown 10001:10001 /home/cldscan /data
COPY --from=build /opt/cldscan /opt/cldscan
# HOME is only read (mounted ~/.aws, gcloud ADC); anything that must write a temporary
# file goes to /tmp, a tmpfs when the root filesystem is read-only.
ENV PATH=/opt/cldscan/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    HOME=/home/cldscan TMPDIR=/tmp XDG_CACHE_HOME=/tmp/.cache
USER 10001:10001
WORKDIR /data
ENTRYPOINT ["cldscan"]
CMD ["--help"]
