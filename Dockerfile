# syntax=docker/dockerfile:1
# dermtriage: the gRPC triage service. Python 3.12: durable-rules 2.0.28 does not import on 3.13.

# Build stage: compiles durable-rules' C extension into a virtualenv.
FROM python:3.12-slim AS build
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends gcc g++ make \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY pyproject.toml setup.py README.md ./
COPY service ./service
COPY rules ./rules
COPY docker/install.sh ./docker/install.sh
RUN sh docker/install.sh /opt/venv

# Runtime stage: the virtualenv (the package ships its rules), run as a non-root user.
FROM python:3.12-slim
RUN useradd --system --uid 10001 --no-create-home dermtriage
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    DERMTRIAGE_PORT=50051
USER 10001
EXPOSE 50051
HEALTHCHECK --interval=10s --timeout=5s --start-period=10s --retries=3 \
  CMD ["python", "-m", "service", "healthcheck"]
# SIGTERM drains: health NOT_SERVING, in-flight calls finish, exit 0 (DERMTRIAGE_GRACE seconds).
STOPSIGNAL SIGTERM
ENTRYPOINT ["python", "-m", "service", "serve"]
