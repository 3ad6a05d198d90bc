# syntax=docker/dockerfile:1
# Multi-stage image: build a wheel, install it into a venv, copy the venv into a slim
# runtime that runs as a non-root user. BASE_IMAGE lets air-gapped builds use a local
# base (see ../shared/tools/make-base-image); the default is the official slim image.
ARG BASE_IMAGE=python:3.12-slim-bookworm

FROM ${BASE_IMAGE} AS build
ARG PIP_CERT=
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY scanner ./scanner
COPY checks ./checks
COPY providers ./providers
COPY fixtures ./fixtures
RUN python3 -m venv /opt/cldscan \
 && /opt/cldscan/bin/pip install ${PIP_CERT:+--cert "$PIP_CERT"} .

FROM ${BASE_IMAGE}
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="cldscan" \
      org.opencontainers.image.description="Cloud posture scanner for the ISO/IEC 27017 cloud controls" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.source="https://github.com/cldscan/cldscan" \
      org.opencontainers.image.licenses="Apache-2.0"
RUN useradd --uid 10001 --create-home --home-dir /home/cldscan cldscan \
 && mkdir -p /data && chown 10001 /data
COPY --from=build /opt/cldscan /opt/cldscan
ENV PATH=/opt/cldscan/bin:$PATH PYTHONDONTWRITEBYTECODE=1 HOME=/home/cldscan
USER 10001
WORKDIR /data
ENTRYPOINT ["cldscan"]
CMD ["--help"]
