"""The public routes as a shopper's phone meets them: the page, its language, its weight."""

from __future__ import annotations

from html.parser import HTMLParser

from tests.conftest import World
from tests.trace.test_flow import make_batch


class _Resources(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.loaded: list[str] = []
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "script":
            self.scripts += 1
        if tag in ("img", "iframe", "source", "video", "audio") and values.get("src"):
            self.loaded.append(str(values["src"]))
        if tag == "link" and values.get("href") and values.get("rel") != "alternate":
            self.loaded.append(str(values["href"]))


def test_scanned_url_opens_the_page_in_vietnamese(world: World) -> None:
    batch = make_batch(world, events=10)
    url = str(batch["label_url"])
    path = "/" + url.split("/", 3)[3]  # HTTP://TEM.TEST/T/TOKEN -> /T/TOKEN, upper case as scanned
    page = world.client.get(path)
    assert page.status_code == 200
    html = page.text
    assert '<html lang="vi"' in html
    assert "Hồ sơ chính hãng" in html
    assert "HTX Chè Shan Tuyết Suối Giàng" in html
    assert "Hội đồng OCOP tỉnh Yên Bái" in html
    assert "ST-2026-01" in html
    assert len(page.content) < 100_000
    resources = _Resources()
    resources.feed(html)
    assert resources.scripts == 0
    assert all(src.startswith("/") and not src.startswith("//") for src in resources.loaded), (
        resources.loaded
    )
    assert "default-src 'none'" in page.headers["content-security-policy"]


def test_english_by_query_or_header(world: World) -> None:
    token = str(make_batch(world, events=1)["token"])
    assert "Genuine record" in world.client.get(f"/T/{token}?lang=en").text
    by_header = world.client.get(
        f"/t/{token.lower()}", headers={"Accept-Language": "en-US,en;q=0.9"}
    )
    assert '<html lang="en"' in by_header.text
    odd = world.client.get(
        f"/T/{token}?lang=klingon-and-more", headers={"Accept-Language": "x" * 2000}
    )
    assert odd.status_code == 200
    assert '<html lang="vi"' in odd.text


def test_bad_code_page_says_so_plainly(world: World) -> None:
    page = world.client.get("/T/NOT-A-REAL-CODE")
    assert page.status_code == 200
    assert "Mã không hợp lệ" in page.text
    english = world.client.get("/T/AAAA?lang=en")
    assert "Not a valid code" in english.text


def test_home_and_health_and_docs(world: World) -> None:
    assert world.client.get("/").status_code == 200
    assert world.client.get("/api/v1/health").json() == {"status": "ok"}
    assert world.client.get("/docs").status_code == 200
    spec = world.client.get("/api/v1/openapi.json").json()
    assert "/api/v1/verify/{token}" in spec["paths"]
    assert world.client.get("/static/products/tea.svg").status_code == 200


def _png() -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), "red").save(buffer, "PNG")
    return buffer.getvalue()


def test_report_form_on_the_page(world: World) -> None:
    token = str(make_batch(world, events=1)["token"])
    form = {"problem": "Nắp hũ bị bóc, tem mờ", "where_bought": "Chợ Mường Lò"}
    thanks = world.client.post(
        f"/T/{token}/report", data=form, files={"photo": ("a.png", _png(), "image/png")}
    )
    assert thanks.status_code == 201, thanks.text
    assert "<script" not in thanks.text
    reports = world.client.get("/api/v1/reports", headers=world.auth(world.inspector_token)).json()
    assert len(reports) == 1
    # an empty file input (no photo chosen) is fine
    empty = world.client.post(
        f"/T/{token}/report",
        data={**form, "problem": "Một vấn đề khác"},
        files={"photo": ("", b"", "application/octet-stream")},
    )
    assert empty.status_code == 201, empty.text


def test_report_form_refuses_bad_photo_and_keeps_the_text(world: World) -> None:
    token = str(make_batch(world, events=1)["token"])
    form = {"problem": "Nắp hũ bị bóc", "where_bought": "Chợ Mường Lò"}
    refused = world.client.post(
        f"/T/{token}/report", data=form, files={"photo": ("a.jpg", b"not an image", "image/jpeg")}
    )
    assert refused.status_code == 422
    assert "Nắp hũ bị bóc" in refused.text  # the form comes back filled in
    reports_dir = world.settings.data_dir / "reports"
    assert not reports_dir.exists() or not any(reports_dir.iterdir())
    assert (
        world.client.get("/api/v1/reports", headers=world.auth(world.inspector_token)).json() == []
    )
