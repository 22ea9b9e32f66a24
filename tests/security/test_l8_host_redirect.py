"""L8: a trailing slash is redirected to a path on this server, whatever ``Host`` says."""

from __future__ import annotations

from fastapi.testclient import TestClient

TOKEN = "ABCDEFGH"


def test_trailing_slash_redirect_ignores_the_host_header(client: TestClient) -> None:
    response = client.get(
        f"/T/{TOKEN}/?lang=en", headers={"Host": "evil.example"}, follow_redirects=False
    )
    assert response.status_code in (301, 307, 308)
    assert response.headers["Location"] == f"/T/{TOKEN}?lang=en"
    assert "evil" not in response.headers["Location"]


def test_api_routes_redirect_the_same_way(client: TestClient) -> None:
    response = client.get(
        "/api/v1/organizations/me/", headers={"Host": "evil.example"}, follow_redirects=False
    )
    assert response.status_code == 308
    assert response.headers["Location"] == "/api/v1/organizations/me"


def test_no_redirect_to_another_site_or_to_nothing(client: TestClient) -> None:
    for path in ("//evil.example/", "/no/such/page/", "/"):
        response = client.get(path, follow_redirects=False)
        assert "Location" not in response.headers, path
