"""L6: /docs and /redoc load nothing from another site, carry a strict CSP, and can be off."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tem.config import Settings
from tem.web.app import create_app


def test_docs_pages_load_only_local_scripts(client: TestClient) -> None:
    for page in ("/docs", "/redoc"):
        response = client.get(page)
        assert response.status_code == 200
        sources = re.findall(r'(?:src|href)="([^"]+)"', response.text)
        assert sources, page
        assert all(s.startswith("/") and not s.startswith("//") for s in sources), sources
        policy = response.headers["Content-Security-Policy"]
        assert "default-src 'none'" in policy
        assert "script-src 'self' 'nonce-" in policy
        assert "unsafe-eval" not in policy
        assert "frame-ancestors 'none'" in policy
        nonce = re.search(r"'nonce-([^']+)'", policy)
        assert nonce is not None
        inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", response.text)
        assert all(f'nonce="{nonce.group(1)}"' in attrs for attrs in inline)
        for source in sources:
            asset = client.get(source)
            assert asset.status_code == 200, source
            assert len(asset.content) > 1000


def test_docs_can_be_turned_off(settings: Settings) -> None:
    app = create_app(settings.model_copy(update={"api_docs": False}))
    with TestClient(app) as client:
        assert client.get("/docs").status_code == 404
        assert client.get("/redoc").status_code == 404
        assert client.get("/openapi.json").status_code == 200
    app.state.tem.engine.dispose()
