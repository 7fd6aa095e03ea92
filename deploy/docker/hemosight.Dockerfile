# HemoSight backend and CPU worker: one image, the role is chosen by the command
# (`hemosight serve --workers 0` for the web API, `hemosight worker` for a worker).
# Build from the repository root:  docker build -f deploy/docker/hemosight.Dockerfile -t hemosight:dev .
# No secret is ever written into this image: HEMOSIGHT_SECRET_KEY and HEMOSIGHT_MONGO_URI come
# from the environment (docker-compose .env, Kubernetes Secret) at run time.

FROM python:3.11.13-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python -m venv /opt/hemosight
COPY pyproject.toml setup.py README.md ./
COPY models ./models
COPY backend ./backend
COPY worker ./worker
COPY hemosight ./hemosight
# The serving set only (no TensorFlow, NNCF or matplotlib): the API never imports TensorFlow, and CPU
# workers run the bundle's OpenVINO encoder (`hemosight export-runtime`; the shipped model has one).
RUN /opt/hemosight/bin/pip install --no-compile .

FROM python:3.11.13-slim-bookworm AS runtime
LABEL org.opencontainers.image.title="hemosight" \
      org.opencontainers.image.description="HemoSight backend and CPU worker" \
      org.opencontainers.image.licenses="Apache-2.0"
RUN groupadd --system --gid 10001 hemosight \
    && useradd --system --uid 10001 --gid hemosight --home-dir /home/hemosight --create-home hemosight \
    && mkdir -p /var/lib/hemosight && chown hemosight:hemosight /var/lib/hemosight
COPY --from=build /opt/hemosight /opt/hemosight
ENV PATH=/opt/hemosight/bin:$PATH \
    HOME=/home/hemosight \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    TF_CPP_MIN_LOG_LEVEL=2 \
    HEMOSIGHT_DATA_DIR=/var/lib/hemosight \
    HEMOSIGHT_LOG_FORMAT=json
USER 10001:10001
# OpenVINO/NNCF send usage telemetry unless told not to: decline once, in the image (the
# consent file lives in $HOME, outside the data volume, and is only read at run time).
RUN opt_in_out --opt_out
WORKDIR /var/lib/hemosight
VOLUME ["/var/lib/hemosight"]
EXPOSE 8000 9100
# No image-level HEALTHCHECK: this image runs either role, so each service states its own check
# (docker-compose.yml: backend /readyz on 8000, worker /healthz on HEMOSIGHT_METRICS_PORT; Kubernetes: probes).
ENTRYPOINT ["hemosight"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "0"]
