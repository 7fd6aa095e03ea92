"""The FastAPI application: `create_app(settings)` builds it; `hemosight serve` runs it.

Every error leaves as JSON ``{"detail": "<words a user can act on>"}``: validation
errors are turned into sentences, and anything unexpected is logged with its traceback
and answered with a clean 500 instead of a stack trace.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from hemosight.api.bundles import BundleCache
from hemosight.api.errors import StructuredError
from hemosight.api.limits import RequestSizeLimit
from hemosight.api.routes import (
    adapt,
    auth,
    cases,
    explanations,
    health,
    images,
    jobs,
    label_sets,
    labels,
    members,
    metrics,
    model_versions,
    projects,
    references,
    rescore,
    setup,
    users,
)
from hemosight.api.security_headers import SecurityHeaders
from hemosight.api.sign_in_throttle import SignInThrottle
from hemosight.api.thumbnails import ThumbnailCache
from hemosight.core.settings import Settings
from hemosight.core.store import open_store
from hemosight.core.store.base import Store

API_PREFIX = "/api/v1"
DOCS_PATH = f"{API_PREFIX}/docs"
OPENAPI_PATH = f"{API_PREFIX}/openapi.json"
#: Swagger UI files, pinned (not "@5", which follows whatever the CDN serves next).
SWAGGER_UI = "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5.17.14"
log = logging.getLogger("hemosight.backend")


def create_app(settings: Settings | None = None, store: Store | None = None) -> FastAPI:
    """Build the app; pass `store` to share an already opened store (tests, benchmarks), else one is opened."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = store is None
        app.state.store = store if store is not None else await open_store(settings)
        app.state.bundles.attach(app.state.store, settings.model_cache_dir)
        try:
            yield
        finally:
            if owned:
                await app.state.store.close()

    app = FastAPI(
        title="HemoSight",
        summary="White blood cell classification with reference neighbours and a morphological landscape.",
        version="0.1.0",
        openapi_url=OPENAPI_PATH,
        docs_url=None,  # Swagger UI only when settings.api_docs: `_serve_api_docs`
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.bundles = BundleCache()
    app.state.thumbnails = ThumbnailCache()
    app.state.sign_in_throttle = SignInThrottle(settings.sign_in_max_failures, settings.sign_in_window_minutes * 60)

    api = APIRouter(prefix=API_PREFIX)
    routes = (
        health,
        setup,
        auth,
        users,
        projects,
        members,
        cases,
        images,
        explanations,
        jobs,
        references,
        adapt,
        model_versions,
        label_sets,
        labels,
        rescore,
    )
    for module in routes:
        api.include_router(module.router)
    api.include_router(cases.names_router)
    app.include_router(api)
    app.include_router(health.router, include_in_schema=False)
    app.include_router(metrics.router, include_in_schema=False)
    _add_error_handlers(app)
    app.add_middleware(RequestSizeLimit, max_bytes=settings.max_request_bytes)
    app.add_middleware(SecurityHeaders, docs_path=DOCS_PATH if settings.api_docs else None)
    if settings.api_docs:
        _serve_api_docs(app)
    _serve_frontend(app, settings.frontend_dist)
    _describe_errors_in_openapi(app)
    return app


def _serve_api_docs(app: FastAPI) -> None:
    """Swagger UI for people exploring the API (HEMOSIGHT_API_DOCS=true), from pinned files."""
    from fastapi.openapi.docs import get_swagger_ui_html
    from fastapi.responses import HTMLResponse

    @app.get(DOCS_PATH, include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=OPENAPI_PATH,
            title="HemoSight API",
            swagger_js_url=f"{SWAGGER_UI}/swagger-ui-bundle.js",
            swagger_css_url=f"{SWAGGER_UI}/swagger-ui.css",
        )


def _describe_errors_in_openapi(app: FastAPI) -> None:
    """Validation errors leave as `{"detail": "<sentence>"}`; say so in the schema the client is generated from."""
    build = app.openapi

    def openapi() -> dict:
        if app.openapi_schema is None:
            schema = build()
            schemas = schema.get("components", {}).get("schemas", {})
            schemas["HTTPValidationError"] = {
                "title": "HTTPValidationError",
                "type": "object",
                "properties": {"detail": {"title": "Detail", "type": "string"}},
                "required": ["detail"],
            }
            schemas.pop("ValidationError", None)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail
        if exc.status_code == status.HTTP_404_NOT_FOUND and detail == "Not Found":
            detail = f"There is no {request.method} {request.url.path}; the API is described at {OPENAPI_PATH}."
        elif exc.status_code == status.HTTP_405_METHOD_NOT_ALLOWED:
            detail = f"{request.method} is not allowed on {request.url.path}; see {OPENAPI_PATH}."
        elif exc.status_code == status.HTTP_400_BAD_REQUEST and isinstance(detail, str):
            code, detail = _multipart_error(request, exc, detail)
            return JSONResponse({"detail": detail}, status_code=code, headers=exc.headers)
        return JSONResponse({"detail": detail}, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(StructuredError)
    async def structured_error(request: Request, exc: StructuredError) -> JSONResponse:
        return JSONResponse(exc.body.model_dump(mode="json"), status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        if any(e.get("type") == "json_invalid" for e in errors):
            return JSONResponse(
                {"detail": "The request body is not valid JSON; check quotes, commas and brackets."},
                status_code=status.HTTP_400_BAD_REQUEST,
            )
        return JSONResponse(
            {"detail": "The request is not valid: " + "; ".join(_describe(e) for e in errors) + "."},
            status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
        )

    @app.exception_handler(Exception)
    async def unexpected_error(request: Request, exc: Exception) -> JSONResponse:
        log.exception("Unexpected error on %s %s", request.method, request.url.path)
        return JSONResponse(
            {"detail": "Something went wrong on the server. Try again; if it happens again, tell your administrator."},
            status_code=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )


def _multipart_error(request: Request, exc: StarletteHTTPException, detail: str) -> tuple[int, str]:
    """The form parser's refusals (raised before any route code runs) in the words and status of the upload routes."""
    if detail.startswith("Too many files."):  # the parser's own cap (1,000): the same 413 as our lower limit
        limit = request.app.state.settings.max_files_per_request
        return (
            413,
            f"You sent too many files; at most {limit} are accepted per request. Upload them in smaller batches.",
        )
    if detail == "Invalid multipart data.":
        causes = []
        cause = exc.__cause__ or exc.__context__
        while cause is not None:
            causes.append(str(cause))
            cause = cause.__cause__ or cause.__context__
        if any("header size" in c for c in causes):
            return 400, (
                "A file's name is too long (a part header over 4 KB); the request was not read and nothing was "
                "stored. Rename the file to a shorter name and upload again."
            )
        return 400, "The upload is not valid multipart form data; nothing was stored. Send the files again."
    return 400, detail


def _describe(error: dict) -> str:
    where = ".".join(str(part) for part in error.get("loc", ()) if part not in ("body", "query", "path"))
    message = str(error.get("msg", "invalid value"))
    if error.get("type") == "missing":
        message = "is required"
    elif "Expected UploadFile" in message:
        message = "must be a file with a filename (a file part of a multipart/form-data request)"
    return f"{where} {message}" if where else message


def _serve_frontend(app: FastAPI, dist: Path) -> None:
    """The built browser app on the same port; unknown non-API paths get index.html (client-side routing)."""
    index = dist / "index.html"
    if not index.is_file():
        return
    root = dist.resolve()

    @app.get("/{path:path}", include_in_schema=False)
    async def frontend(path: str) -> FileResponse:
        if path == "api" or path.startswith("api/"):
            raise StarletteHTTPException(status.HTTP_404_NOT_FOUND)
        candidate = (root / path).resolve()
        if path and candidate.is_file() and candidate.is_relative_to(root):
            return FileResponse(candidate)
        return FileResponse(index, headers={"Cache-Control": "no-cache"})
