"""The public pages a shopper sees: the verification page behind every QR code, a
short home page and simple error pages, rendered server-side with Jinja2.

The pages are one request each: no JavaScript, no web fonts, nothing from other
hosts; the style sheet is inlined and pinned by a Content-Security-Policy hash.
``render_verify_page`` turns the JSON report of ``GET /api/v1/verify/{token}``
(see :func:`tem.trace.verification.report_json`) into a view model first, so the
templates only lay out text that is already formatted and translated.

What a verdict claims follows DESIGN.md: a valid signature proves who published a
record and that it was not changed, never that the item in hand is genuine.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Mapping, Sequence
from datetime import date
from functools import partial
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from tem.web import i18n
from tem.web.i18n import VIETNAM_TIME, format_date, format_datetime, format_number, t

_ENV = Environment(
    loader=PackageLoader("tem.web", "templates"),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    auto_reload=False,  # templates ship inside the package; skip a stat() per request
)

# The whole style sheet goes inline; the CSP names its hash so that no other style
# (and nothing else at all, bar same-host images) can run or load.
_CSS = resources.files("tem.web").joinpath("static/tem.css").read_text(encoding="utf-8").strip()
_CSS_HASH = base64.b64encode(hashlib.sha256(_CSS.encode()).digest()).decode()
CONTENT_SECURITY_POLICY = (
    f"default-src 'none'; img-src 'self'; style-src 'sha256-{_CSS_HASH}'; "
    "base-uri 'none'; form-action 'self'"
)

# A path on this host: one leading "/" but not "//" or "/\" (browsers read both as
# another host), and no whitespace, backslash or control character anywhere.
_SAME_HOST_PATH = re.compile(r"/(?![/\\])[^\s\\\x00-\x1f\x7f]*")
_EXTERNAL_LINK = re.compile(r"https://[^\s\\\"'<>\x00-\x1f\x7f]+")
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+")
_COORDINATE = re.compile(r"-?\d{1,3}(?:\.\d{1,10})?")
_EVENT_NUMBER = re.compile(r"\bevent (\d{1,4})\b", re.IGNORECASE)
_TOKEN_CHARS = re.compile(r"[A-Za-z0-9]+")
_MAX_TOKEN_SHOWN = 200

_VERDICT_STYLE = {"genuine": "ok", "invalid": "bad", "unknown_key": "bad", "revoked": "warn"}
_RECORD_STYLE = {"valid": "ok", "tampered": "bad", "invalid": "bad", "revoked": "warn"}
_EVENT_TYPES = ("harvesting", "processing", "packing", "shipping", "receiving", "inspecting")


def _text(value: object) -> str:
    """A report field as display text: None and non-scalars become ""."""
    if value is None or isinstance(value, Mapping | list | tuple):
        return ""
    return str(value).strip()


def _mapping(value: object) -> Mapping[str, Any] | None:
    return value if isinstance(value, Mapping) else None


def _base_context(lang: str) -> dict[str, Any]:
    other = "en" if lang == "vi" else "vi"
    return {
        "lang": lang,
        "other_lang": other,
        "_": partial(t, lang),
        "css": _CSS,
        "csp": CONTENT_SECURITY_POLICY,
    }


def reason_text(lang: str, reason: Mapping[str, Any], *, subject: bool = True) -> str:
    """One reason in plain words in ``lang``; unknown codes keep the English message.

    Verifier messages name the event they are about ("event 3"); with ``subject``
    that number is kept as the stage number the journey shows ("Bước 3: ...").
    """
    code = _text(reason.get("code"))
    message = _text(reason.get("message"))
    key = f"reason.{code}"
    if not code or not i18n.has(lang, key):
        return message or code
    text = t(lang, key)
    if not subject:
        return text
    stage = _EVENT_NUMBER.search(message)
    if stage is not None:
        return t(lang, "reason.stage_prefix", n=int(stage.group(1)), text=text)
    if "batch record" in message:
        return t(lang, "reason.batch_prefix", text=text)
    return text


def _reasons(lang: str, reasons: object, *, subject: bool = True) -> list[dict[str, str]]:
    if not isinstance(reasons, list):
        return []
    return [
        {
            "text": reason_text(lang, reason, subject=subject),
            "detail": _text(reason.get("message")),
        }
        for reason in reasons
        if isinstance(reason, Mapping)
    ]


def _address(*parts: object) -> str:
    """Address parts joined small to large (street, commune, district, province)."""
    return ", ".join(p for p in (_text(part) for part in parts) if p)


def _place(lang: str, place: object) -> dict[str, str] | None:
    data = _mapping(place)
    if data is None:
        return None
    lat, lon = _text(data.get("lat")), _text(data.get("lon"))
    coordinates = geo = ""
    in_range = _COORDINATE.fullmatch(lat) and _COORDINATE.fullmatch(lon)
    if in_range and abs(float(lat)) <= 90 and abs(float(lon)) <= 180:
        coordinates = t(lang, "place.coordinates", lat=lat, lon=lon)
        geo = f"geo:{lat},{lon}"
    name, address = _text(data.get("name")), _text(data.get("address"))
    if not (name or address or coordinates):
        return None
    return {"name": name, "address": address, "coordinates": coordinates, "geo": geo}


def _expired(value: object, today: date | None) -> bool:
    day = i18n.parse_date(value)
    return day is not None and today is not None and day < today


def _image(url: str) -> tuple[str, str]:
    """(src, link): same-host paths are embedded, https URLs only linked, anything else dropped."""
    if _SAME_HOST_PATH.fullmatch(url):
        return url, ""
    if _EXTERNAL_LINK.fullmatch(url):
        return "", url
    return "", ""


def _product(lang: str, product: object, today: date | None) -> dict[str, Any] | None:
    data = _mapping(product)
    if data is None:
        return None
    name = _text(data.get("name"))
    image_src, image_link = _image(_text(data.get("image_url")))
    standards = data.get("standards")
    standards = [_text(s) for s in standards if _text(s)] if isinstance(standards, list) else []
    shelf_life = data.get("shelf_life_days")
    ocop = _ocop(lang, data.get("ocop"), today)
    return {
        "name": name,
        "id": _text(data.get("id")),
        "image_src": image_src,
        "image_link": image_link,
        "image_alt": t(lang, "product.image_alt", name=name),
        "category": _text(data.get("category")),
        "description": _text(data.get("description")),
        "ingredients": _text(data.get("ingredients")),
        "standards": standards,
        "shelf_life": (
            t(lang, "product.shelf_life_days", days=format_number(shelf_life, lang))
            if isinstance(shelf_life, int) and not isinstance(shelf_life, bool)
            else ""
        ),
        "gtin": _text(data.get("gtin")),
        "ocop": ocop,
    }


def _ocop(lang: str, ocop: object, today: date | None) -> dict[str, Any] | None:
    data = _mapping(ocop)
    if data is None:
        return None
    stars = data.get("stars")
    if not isinstance(stars, int) or isinstance(stars, bool) or not 0 < stars <= 5:
        return None
    expires = _text(data.get("expires"))
    return {
        "stars": stars,
        "filled": "★" * stars,
        "empty": "☆" * (5 - stars),
        "label": t(lang, "ocop.stars", stars=stars),
        "certificate": _text(data.get("certificate")),
        "council": _text(data.get("council")),
        "awarded": format_date(_text(data.get("awarded")) or None, lang),
        "expires": format_date(expires or None, lang),
        "expired": _expired(expires, today),
    }


def _producer(lang: str, producer: object) -> dict[str, str] | None:
    data = _mapping(producer)
    if data is None:
        return None
    phone = _text(data.get("phone"))
    dial = re.sub(r"[^\d+]", "", phone)
    email = _text(data.get("email"))
    return {
        "name": _text(data.get("name")),
        "address": _address(
            data.get("street"), data.get("commune"), data.get("district"), data.get("province")
        ),
        "phone": phone,
        "phone_href": f"tel:{dial}" if re.fullmatch(r"\+?\d{3,15}", dial) else "",
        "email": email,
        "email_href": f"mailto:{email}" if _EMAIL.fullmatch(email) else "",
    }


def _record_badge(lang: str, status: object) -> dict[str, str]:
    code = _text(status)
    key = f"record.{code}" if code in _RECORD_STYLE else "record.unknown"
    return {"style": _RECORD_STYLE.get(code, "warn"), "text": t(lang, key)}


def _batch(lang: str, batch: object, today: date | None) -> dict[str, Any] | None:
    data = _mapping(batch)
    if data is None:
        return None
    quantity = " ".join(
        p for p in (format_number(_text(data.get("quantity")), lang), _text(data.get("unit"))) if p
    )
    expiry = _text(data.get("expiry_date"))
    record = _mapping(data.get("record")) or {}
    return {
        "lot_code": _text(data.get("lot_code")),
        "trace_code": _text(data.get("trace_code")),
        "quantity": quantity,
        "production_date": format_date(_text(data.get("production_date")) or None, lang),
        "expiry_date": format_date(expiry or None, lang),
        "expired": _expired(expiry, today),
        "origin": _place(lang, data.get("origin")),
        "signed_at": format_datetime(_text(data.get("signed_at")) or None, lang, tz=VIETNAM_TIME),
        "badge": _record_badge(lang, record.get("status")),
        "reasons": _reasons(lang, record.get("reasons"), subject=False),
    }


def _event(lang: str, index: int, event: Mapping[str, Any]) -> dict[str, Any]:
    seq = event.get("seq")
    number = seq + 1 if isinstance(seq, int) and not isinstance(seq, bool) else index + 1
    kind = _text(event.get("type"))
    readable = any(event.get(k) is not None for k in ("type", "time", "place", "actor"))
    if kind in _EVENT_TYPES:
        title = t(lang, f"event.{kind}")
    elif kind == "custom":
        title = _text(event.get("type_label")) or t(lang, "event.custom")
    else:
        title = kind
    badge = _record_badge(lang, event.get("status"))
    return {
        "number": number,
        "stage": t(lang, "journey.stage", n=number),
        "title": title,
        "readable": readable,
        "time": format_datetime(_text(event.get("time")) or None, lang),
        "time_iso": _text(event.get("time")) if i18n.parse_datetime(event.get("time")) else "",
        "place": _place(lang, event.get("place")),
        "actor": _text(event.get("actor")),
        "notes": _text(event.get("notes")),
        "trace_code": _text(event.get("trace_code")),
        "badge": badge,
        "style": badge["style"],
        # Shown inside the stage itself, so without "Stage n:" in front.
        "reasons": _reasons(lang, event.get("reasons"), subject=False),
    }


def _history(lang: str, history: object) -> list[dict[str, Any]]:
    if not isinstance(history, list):
        return []
    events = [e for e in history if isinstance(e, Mapping)]
    return [_event(lang, i, e) for i, e in enumerate(events)]


def _signature(lang: str, report: Mapping[str, Any], token: str, checked: str) -> dict[str, str]:
    signer = _mapping(report.get("signer")) or {}
    authority = _mapping(signer.get("endorsed_by")) or {}
    claimed = _mapping(report.get("token")) or {}

    def when(key: str) -> str:
        return format_datetime(_text(signer.get(key)) or None, lang, tz=VIETNAM_TIME)

    window = ""
    if when("sign_from") or when("sign_until"):
        window = t(lang, "signature.window", start=when("sign_from"), end=when("sign_until"))
    # The scanned text is echoed only when it looks like a token (Base32 letters and
    # digits), so a crafted link cannot make the official page display words of its choosing.
    shown_token = ""
    if _TOKEN_CHARS.fullmatch(token):
        shown_token = token if len(token) <= _MAX_TOKEN_SHOWN else token[:_MAX_TOKEN_SHOWN] + "…"
    return {
        "signer": _text(signer.get("name")),
        "key_id": _text(signer.get("key_id")) or _text(claimed.get("key_id")),
        "endorsed_by": _text(authority.get("name")),
        "authority_key_id": _text(authority.get("key_id")),
        "sign_window": window,
        "verify_until": when("verify_until"),
        "issued_at": format_datetime(
            _text(claimed.get("issued_at")) or None, lang, tz=VIETNAM_TIME
        ),
        "batch_id": _text(claimed.get("batch_id")),
        "checked_at": checked,
        "token": shown_token,
    }


def _banner(
    lang: str,
    verdict: str,
    report: Mapping[str, Any],
    producer: Mapping[str, str] | None,
) -> dict[str, Any]:
    signer = _mapping(report.get("signer")) or {}
    authority = _text((_mapping(signer.get("endorsed_by")) or {}).get("name"))
    signer_name = _text(signer.get("name")) or (producer or {}).get("name", "")
    lines: list[str] = []
    caveat = ""
    if verdict == "genuine":
        title = t(lang, "verdict.genuine.title")
        lines.append(t(lang, "verdict.genuine.by", signer=signer_name, authority=authority))
        caveat = t(lang, "verdict.genuine.caveat", signer=signer_name)
    elif verdict == "revoked":
        title = t(lang, "verdict.revoked.title")
        if signer_name and authority:
            lines.append(t(lang, "verdict.revoked.lead", signer=signer_name, authority=authority))
        else:
            lines.append(t(lang, "verdict.revoked.lead_anonymous"))
    elif verdict == "unknown_key":
        title = t(lang, "verdict.unknown_key.title")
        lines.append(t(lang, "verdict.unknown_key.lead"))
    elif verdict == "invalid":
        title = t(lang, "verdict.invalid.title")
        lines.append(t(lang, "verdict.invalid.lead"))
    else:
        title = t(lang, "verdict.other.title")
        lines.append(t(lang, "verdict.other.lead"))
    reasons = _reasons(lang, report.get("reasons"))
    if verdict == "unknown_key":
        # The lead already says it in the same words.
        reasons = [r for r in reasons if r["text"] != t(lang, "reason.unknown_key")]
    return {
        "verdict": verdict,
        "style": _VERDICT_STYLE.get(verdict, "bad"),
        "icon": "✓" if verdict == "genuine" else "✗",
        "title": title,
        "lines": lines,
        "caveat": caveat,
        "reasons": reasons,
        "authority": authority,
    }


def _advice(lang: str, authority: str, producer: Mapping[str, str] | None) -> list[dict[str, str]]:
    """What a shopper should do about a code that failed; each item may carry a link."""
    items = [
        {"text": t(lang, "advice.dont_trust"), "href": ""},
        {"text": t(lang, "advice.ask_seller"), "href": ""},
    ]
    if authority:
        items.append({"text": t(lang, "advice.report_authority", authority=authority), "href": ""})
    else:
        items.append({"text": t(lang, "advice.report_generic"), "href": ""})
    if producer and producer["name"] and producer["phone"]:
        items.append(
            {
                "text": t(
                    lang,
                    "advice.contact_producer",
                    producer=producer["name"],
                    phone=producer["phone"],
                ),
                "href": producer["phone_href"],
            }
        )
    return items


def _host(public_url: str) -> str:
    try:
        return (urlsplit(public_url).hostname or "").lower()
    except ValueError:
        return ""


def verify_context(
    report: Mapping[str, Any], lang: str, *, token: str, public_url: str
) -> dict[str, Any]:
    """The view model of the verification page: every value formatted and translated."""
    lang = i18n.normalize(lang)
    checked = i18n.parse_datetime(report.get("checked_at"))
    today = checked.astimezone(VIETNAM_TIME).date() if checked and checked.tzinfo else None
    checked_text = format_datetime(_text(report.get("checked_at")) or None, lang, tz=VIETNAM_TIME)
    verdict = _text(report.get("verdict"))
    producer = _producer(lang, report.get("producer"))
    product = _product(lang, report.get("product"), today)
    batch = _batch(lang, report.get("batch"), today)
    history = _history(lang, report.get("history"))
    banner = _banner(lang, verdict, report, producer)
    notices: list[str] = []
    if batch is not None and batch["expired"]:
        notices.append(t(lang, "notice.batch_expired", date=batch["expiry_date"]))
    if product is not None and product["ocop"] is not None and product["ocop"]["expired"]:
        notices.append(t(lang, "notice.ocop_expired", date=product["ocop"]["expires"]))
    has_details = any(x is not None for x in (product, producer, batch)) or bool(history)
    host = _host(public_url)
    title = product["name"] if product and product["name"] else t(lang, "site.tagline")
    return {
        **_base_context(lang),
        "title": f"{banner['title']} · {title}",
        "banner": banner,
        "advice": [] if verdict == "genuine" else _advice(lang, banner["authority"], producer),
        "notices": notices,
        "unverified_details": verdict != "genuine" and has_details,
        "product": product,
        "producer": producer,
        "batch": batch,
        "history": history,
        "show_history": batch is not None or bool(history),
        "signature": _signature(lang, report, token, checked_text),
        "official_site": t(lang, "notice.official_site", host=host) if host else "",
    }


def render_verify_page(report: dict[str, Any], lang: str, *, token: str, public_url: str) -> str:
    """The verification page for ``report`` (the JSON of ``GET /api/v1/verify/{token}``).

    ``token`` is the scanned token text and ``public_url`` the service's base URL
    (``TEM_PUBLIC_URL``), whose host the page names so that shoppers can spot a
    look-alike site. Never raises for missing or odd report fields: they are left out.
    """
    context = verify_context(report, lang, token=token, public_url=public_url)
    return _ENV.get_template("verify.html").render(context)


def render_error_page(lang: str, status: int, message_key: str) -> str:
    """A small page for an HTTP error. ``message_key`` is one of :data:`i18n.ERROR_KEYS`
    (any other key falls back to the generic message)."""
    lang = i18n.normalize(lang)
    key = message_key if i18n.has(lang, message_key) else "error.generic"
    return _ENV.get_template("error.html").render(
        {
            **_base_context(lang),
            "title": t(lang, "error.title", status=status),
            "status": status,
            "message": t(lang, key),
        }
    )


def render_home_page(lang: str) -> str:
    """The landing page: what Tem is, what the result page shows, how to scan."""
    lang = i18n.normalize(lang)
    return _ENV.get_template("home.html").render(
        {**_base_context(lang), "title": t(lang, "home.title")}
    )


__all__: Sequence[str] = (
    "CONTENT_SECURITY_POLICY",
    "reason_text",
    "render_error_page",
    "render_home_page",
    "render_verify_page",
    "verify_context",
)
