# HemoSight GPU worker: TensorFlow with CUDA. The CUDA and cuDNN libraries come from NVIDIA's pip
# wheels (tensorflow[and-cuda]), so the host needs only the NVIDIA driver and the container toolkit
# (docker: `--gpus all`; Kubernetes: the NVIDIA device plugin and `nvidia.com/gpu: 1`).
# Build from the repository root:  docker build -f deploy/docker/worker-gpu.Dockerfile -t hemosight-worker-gpu:dev .

FROM python:3.11.13-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python -m venv /opt/hemosight
COPY pyproject.toml setup.py README.md ./
COPY models ./models
COPY backend ./backend
COPY worker ./worker
COPY hemosight ./hemosight
# The serving set plus the training extra (TensorFlow, Keras, NNCF); the `train` extra pins tensorflow-cpu on
# x86_64, so the GPU build swaps it for the CUDA build of the same version.
RUN /opt/hemosight/bin/pip install --no-compile ".[train,gpu]" \
    && /opt/hemosight/bin/pip uninstall --yes tensorflow-cpu \
    && /opt/hemosight/bin/pip install --no-compile --force-reinstall --no-deps "tensorflow==2.21.0"

FROM python:3.11.13-slim-bookworm AS runtime
LABEL org.opencontainers.image.title="hemosight-worker-gpu" \
      org.opencontainers.image.description="HemoSight classification worker with TensorFlow CUDA" \
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
    NVIDIA_VISIBLE_DEVICES=all \
    NVIDIA_DRIVER_CAPABILITIES=compute,utility \
    HEMOSIGHT_DATA_DIR=/var/lib/hemosight \
    HEMOSIGHT_LOG_FORMAT=json \
    HEMOSIGHT_METRICS_PORT=9100
USER 10001:10001
# OpenVINO/NNCF send usage telemetry unless told not to: decline once, in the image (the
# consent file lives in $HOME, outside the data volume, and is only read at run time).
RUN opt_in_out --opt_out
WORKDIR /var/lib/hemosight
EXPOSE 9100
HEALTHCHECK --interval=15s --timeout=5s --start-period=120s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:9100/healthz', timeout=4)"]
ENTRYPOINT ["hemosight"]
CMD ["worker"]
