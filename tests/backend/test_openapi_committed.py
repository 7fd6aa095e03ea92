"""The OpenAPI schema checked in for the browser app (frontend/openapi.json) is the one the backend serves.

The browser's typed client (frontend/src/shared/api/schema.d.ts) is generated from that file; CI checks
the second step with `npm run check-api` (frontend/scripts/check-api-types.mjs).
"""

from __future__ import annotations

import json
from pathlib import Path

from hemosight.core.settings import Settings

COMMITTED = Path(__file__).resolve().parents[2] / "frontend" / "openapi.json"


def test_committed_openapi_schema_matches_the_app(settings: Settings) -> None:
    from hemosight.api.main import create_app

    served = create_app(settings).openapi()
    committed = json.loads(COMMITTED.read_text(encoding="utf-8"))
    changed = sorted(
        {*served.get("paths", {}), *committed.get("paths", {})}
        - {p for p in served.get("paths", {}) if served["paths"][p] == committed.get("paths", {}).get(p)}
    )
    assert served == committed, (
        "frontend/openapi.json is not the backend's schema "
        f"(paths that differ: {', '.join(changed) or 'none; components or info differ'}): "
        "run `cd frontend && npm run generate-api` and commit openapi.json and src/shared/api/schema.d.ts."
    )
