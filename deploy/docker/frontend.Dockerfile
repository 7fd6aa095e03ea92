# The browser app, built with Node and served by an unprivileged nginx that proxies /api,
# /healthz and /readyz to the backend (deploy/nginx.conf).
# Build from the repository root:  docker build -f deploy/docker/frontend.Dockerfile -t hemosight-frontend:dev .

FROM node:20.19.5-bookworm-slim AS build
WORKDIR /src
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY frontend/ ./
RUN npm run build

FROM nginxinc/nginx-unprivileged:1.27.5-alpine AS runtime
LABEL org.opencontainers.image.title="hemosight-frontend" \
      org.opencontainers.image.licenses="Apache-2.0"
COPY deploy/nginx.conf /etc/nginx/templates/default.conf.template
COPY --from=build /src/dist /usr/share/nginx/html
ENV HEMOSIGHT_BACKEND=backend:8000
USER 101
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=5s --start-period=10s --retries=3 \
    CMD ["wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/nginx-health"]
