"""The public pages a shopper sees: the verification page behind every QR code, a
short home page and simple error pages, rendered server-side with Jinja2.

The pages are one request each: no JavaScript, no web fonts, nothing from other
hosts; the style sheet is inlined and pinned by a Content-Security-Policy hash.
``render_verify_page`` turns the JSON report of ``GET /api/v1/verify/{token}``
(see :func:`tem.trace.verification.report_json`) into a view model first, so the
templates only lay out text that is already formatted and translated.

What a verdict claims follows DESIGN.md: a valid signature proves who published a
record and that it was not changed, never that the item in hand is genuine. For a
serialized stamp the scan history adds to that: the clone rules' findings
(:mod:`tem.scans.rules`) are shown in the shopper's words, with a form to say which
province the scan was made in and another to report a suspected fake. Both forms post
to this host (the CSP allows ``form-action 'self'`` only) and need no script.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Mapping, Sequence
from datetime import date
from functools import partial
from importlib import resources
from typing import Any, cast, get_args
from urllib.parse import urlsplit

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from tem.scans import rules as clone_rules
from tem.scans.check_schema import CheckOut
from tem.scans.places import CURRENT_PLACES, find_place
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
_TOKEN_CHARS = re.compile(r"[A-Za-z0-9]+")
_MAX_TOKEN_SHOWN = 200

_VERDICT_STYLE = {
    "genuine": "ok",
    "invalid": "bad",
    "unknown_key": "bad",
    "revoked": "warn",
    "suspect": "warn",
    "recalled": "bad",
    "void": "bad",
}
_VERDICT_ICON = {"genuine": "✓", "suspect": "⚠", "recalled": "⚠"}
# The record behind these verdicts verified: the details shown are the genuine record,
# and only the stamp (or the batch's fate) is in doubt.
_RECORD_VERIFIED = frozenset({"genuine", "suspect", "recalled", "void"})
# The shopper may well hold a fake: the report form opens by itself.
_REPORT_OPEN = frozenset({"suspect", "invalid", "void", "unknown_key"})
_RULE_NAMES: frozenset[str] = frozenset(get_args(clone_rules.RuleName))
_SEVERITIES: frozenset[str] = frozenset(get_args(clone_rules.Severity))
# Route limits in tem.web.public: the scan id field and the token path.
_MAX_SCAN_ID = 32
_MAX_TOKEN_PATH = 512
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
        "switch_href": f"?lang={other}",
    }


def reason_text(lang: str, reason: Mapping[str, Any], *, subject: bool = True) -> str:
    """One reason in plain words in ``lang``; unknown codes keep the English message.

    With ``subject``, the event a reason is about is named by the stage number the
    journey shows ("Bước 3: ..."), and the batch record as such.
    """
    code = _text(reason.get("code"))
    message = _text(reason.get("message"))
    key = f"reason.{code}"
    if not code or not i18n.has(lang, key):
        return message or code
    text = t(lang, key)
    if not subject:
        return text
    stage = _count(reason.get("event"))
    if stage:
        return t(lang, "reason.stage_prefix", n=stage, text=text)
    if reason.get("subject") == "batch":
        return t(lang, "reason.batch_prefix", text=text)
    return text


def _reasons(lang: str, reasons: object, *, subject: bool = True) -> list[dict[str, str]]:
    if not isinstance(reasons, list):
        return []
    return [
        {
            "code": _text(reason.get("code")),
            "text": reason_text(lang, reason, subject=subject),
            "detail": _text(reason.get("message")),
        }
        for reason in reasons
        if isinstance(reason, Mapping)
    ]


def finding_text(lang: str, finding: Mapping[str, Any]) -> str:
    """One clone-rule finding (an item of the report's ``findings``) in plain words in
    ``lang``, built from its evidence by :func:`tem.scans.rules.describe`.

    A finding that cannot be described (an unknown rule, odd evidence) keeps its English
    message, or failing that the rule's generic translation. Raises nothing.
    """
    rule = _text(finding.get("rule"))
    message = _text(finding.get("message"))
    evidence = _mapping(finding.get("evidence"))
    if rule in _RULE_NAMES and evidence is not None:
        severity = _text(finding.get("severity"))
        rebuilt = clone_rules.Finding(
            cast(clone_rules.RuleName, rule),
            cast(clone_rules.Severity, severity if severity in _SEVERITIES else "medium"),
            dict(evidence),
            message,
        )
        try:
            return clone_rules.describe(rebuilt, lang)
        # Evidence of the wrong type surfaces as TypeError or OverflowError, not only
        # the ValueError describe documents; the English message is still right.
        except (ValueError, TypeError, OverflowError):
            pass
    if message:
        return message
    return t(lang, f"reason.{rule}") if rule and i18n.has(lang, f"reason.{rule}") else rule


def _findings(lang: str, findings: object) -> list[dict[str, str]]:
    if not isinstance(findings, list):
        return []
    return [
        {
            "rule": _text(item.get("rule")),
            "text": finding_text(lang, item),
            "detail": _text(item.get("message")),
        }
        for item in findings
        if isinstance(item, Mapping)
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


def _local_day(value: object) -> date | None:
    """The calendar day of an ISO date or datetime, in Vietnam time when it has an offset."""
    moment = i18n.parse_datetime(value)
    if moment is not None and moment.tzinfo is not None:
        return moment.astimezone(VIETNAM_TIME).date()
    return i18n.parse_date(value)


def _day_text(value: object, lang: str) -> str:
    day = _local_day(value)
    return format_date(day, lang) if day is not None else ""


def _count(value: object) -> int | None:
    """A non-negative whole number from the report, else None (bools are not numbers)."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return None


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
        "recalled": _recall_row(lang, data.get("recall")),
    }


def _recall_row(lang: str, recall: object) -> str:
    data = _mapping(recall)
    if data is None:
        return ""
    day = _day_text(data.get("recalled_at"), lang)
    return t(lang, "batch.recalled_on", date=day) if day else t(lang, "batch.recalled_yes")


def _recall(lang: str, batch: object) -> list[str]:
    """What the page says about a recalled batch (date, reason, what to do); [] if none.

    Shown on every page of the batch, labels and stamps alike, whatever the verdict.
    """
    recall = _mapping((_mapping(batch) or {}).get("recall"))
    if recall is None:
        return []
    day = _day_text(recall.get("recalled_at"), lang)
    lines = [t(lang, "recall.on", date=day) if day else t(lang, "recall.undated")]
    reason = _text(recall.get("reason"))
    if reason:
        lines.append(t(lang, "recall.reason", reason=reason))
    lines.append(t(lang, "recall.advice"))
    return lines


def _since(value: object, lang: str, today: date | None) -> str:
    day = _local_day(value)
    if day is None:
        return ""
    if day == today:
        return t(lang, "stamp.since_today")
    return t(lang, "stamp.since_day", date=format_date(day, lang))


def _scans_sentence(
    lang: str, count: int, first_scan_at: object, today: date | None, *, this_one: bool
) -> str:
    """How often and since when a stamp was scanned, in plain words."""
    if count == 0:
        return t(lang, "stamp.scans_none")
    if count == 1 and this_one:
        return t(lang, "stamp.scans_first")
    including = t(lang, "stamp.including_this") if this_one else ""
    if count == 1:
        head = t(lang, "stamp.scans_one", this=including)
    else:
        head = t(lang, "stamp.scans_many", count=format_number(count, lang), this=including)
    since = _since(first_scan_at, lang, today)
    if not since:
        return head + "."
    key = "stamp.only_since" if count == 1 else "stamp.first_since"
    return head + t(lang, key, since=since)


def _stamp(
    lang: str, stamp: object, verdict: str, today: date | None, *, this_one: bool
) -> dict[str, Any] | None:
    """The "Stamp" section of a serialized stamp; None for a batch label."""
    data = _mapping(stamp)
    if data is None:
        return None
    seq = _count(data.get("seq"))
    count = _count(data.get("scan_count"))
    void = _text(data.get("status")) == "void"
    if void:
        day = _day_text(data.get("voided_at"), lang)
        status = t(lang, "stamp.void_on", date=day) if day else t(lang, "stamp.void")
    else:
        status = t(lang, "stamp.active")
    return {
        "serial": _text(data.get("serial")),
        "number": t(lang, "stamp.number_value", n=format_number(seq, lang)) if seq else "",
        "status": status,
        "void": void,
        "scans": (
            _scans_sentence(lang, count, data.get("first_scan_at"), today, this_one=this_one)
            if count is not None
            else ""
        ),
        "normal": t(lang, "stamp.normal") if verdict == "genuine" else "",
    }


def _void_lines(lang: str, stamp: object) -> list[str]:
    """When and why a stamp was voided, from the stamp itself (when no finding says it)."""
    data = _mapping(stamp) or {}
    day = _day_text(data.get("voided_at"), lang)
    lines = [t(lang, "verdict.void.on", date=day) if day else t(lang, "verdict.void.undated")]
    reason = _text(data.get("void_reason"))
    if reason:
        lines.append(t(lang, "recall.reason", reason=reason))
    return lines


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
    findings: Sequence[Mapping[str, str]],
    recall: Sequence[str],
) -> dict[str, Any]:
    """The verdict banner: title, what it means, and the evidence in the shopper's words.

    Each clone-rule finding is shown once, in ``lang`` (:func:`finding_text`); a reason
    with the same code as a finding is not repeated, nor one the banner's lead already says.
    """
    signer = _mapping(report.get("signer")) or {}
    authority = _text((_mapping(signer.get("endorsed_by")) or {}).get("name"))
    signer_name = _text(signer.get("name")) or (producer or {}).get("name", "")
    reasons = _reasons(lang, report.get("reasons"))
    found = {f["rule"] for f in findings}
    key_leak = verdict == "invalid" and "key_leak" in found | {r["code"] for r in reasons}
    # Rules the lead (or the recall box) states already.
    said: set[str] = {"recalled"} if recall else set()
    lines: list[str] = []
    caveat = ""
    style = _VERDICT_STYLE.get(verdict, "bad")
    icon = _VERDICT_ICON.get(verdict, "✗")
    if verdict == "genuine":
        title = t(lang, "verdict.genuine.title")
        lines.append(t(lang, "verdict.genuine.by", signer=signer_name, authority=authority))
        caveat = t(lang, "verdict.genuine.caveat", signer=signer_name)
    elif verdict == "suspect":
        title = t(lang, "verdict.suspect.title")
        if signer_name:
            lines.append(t(lang, "verdict.suspect.lead", signer=signer_name))
        else:
            lines.append(t(lang, "verdict.suspect.lead_anonymous"))
        caveat = t(lang, "verdict.suspect.caveat")
    elif verdict == "recalled":
        title = t(lang, "verdict.recalled.title")
        if recall:
            lines.extend(recall)
        else:
            lines.extend(f["text"] for f in findings if f["rule"] == "recalled")
            lines.append(t(lang, "recall.advice"))
            said.add("recalled")
    elif verdict == "void":
        title = t(lang, "verdict.void.title")
        void = [f["text"] for f in findings if f["rule"] == "void"]
        lines.extend(void or _void_lines(lang, report.get("stamp")))
        lines.append(t(lang, "verdict.void.lead"))
        said.add("void")
    elif key_leak:
        title = t(lang, "verdict.key_leak.title")
        style, icon = "alarm", "⚠"
        if signer_name:
            lines.append(t(lang, "verdict.key_leak.lead", signer=signer_name))
        else:
            lines.append(t(lang, "verdict.key_leak.lead_anonymous"))
        lines.append(t(lang, "verdict.key_leak.act"))
        said.add("key_leak")
    elif verdict == "revoked":
        title = t(lang, "verdict.revoked.title")
        if signer_name and authority:
            lines.append(t(lang, "verdict.revoked.lead", signer=signer_name, authority=authority))
        else:
            lines.append(t(lang, "verdict.revoked.lead_anonymous"))
    elif verdict == "unknown_key":
        title = t(lang, "verdict.unknown_key.title")
        lines.append(t(lang, "verdict.unknown_key.lead"))
        # The lead already says it in the same words.
        said.add("unknown_key")
    elif verdict == "invalid":
        title = t(lang, "verdict.invalid.title")
        lines.append(t(lang, "verdict.invalid.lead"))
    else:
        title = t(lang, "verdict.other.title")
        lines.append(t(lang, "verdict.other.lead"))
    if "too_many_scans" in found:
        # Its sentence already counts the phones: the second would repeat the same numbers.
        said.add("too_many_sessions")
    shown = [{"text": f["text"]} for f in findings if f["rule"] not in said]
    shown += [
        {"text": r["text"]} for r in reasons if r["code"] not in found and r["code"] not in said
    ]
    # Every message in the verifier's own words, once, for an inspector; in English the
    # words shown above may already be exactly these.
    visible = {*lines, *(item["text"] for item in shown)}
    messages = (*(f["detail"] for f in findings), *(r["detail"] for r in reasons))
    details = [d for d in dict.fromkeys(messages) if d and d not in visible]
    return {
        "verdict": verdict,
        "key_leak": key_leak,
        "style": style,
        "icon": icon,
        "title": title,
        "lines": lines,
        "caveat": caveat,
        "reasons": shown,
        "details": details,
        "authority": authority,
    }


def _advice(
    lang: str,
    verdict: str,
    authority: str,
    producer: Mapping[str, str] | None,
    *,
    report_form: bool,
) -> list[dict[str, str]]:
    """What a shopper should do about a code that failed or a stamp in doubt; each item
    may carry a link (a phone number, or the report form further down the page)."""
    if verdict == "genuine":
        return []
    if verdict == "recalled":
        items = [
            {"text": t(lang, "advice.recalled_stop"), "href": ""},
            {"text": t(lang, "advice.recalled_return"), "href": ""},
        ]
    else:
        first = "advice.check_packaging" if verdict == "suspect" else "advice.dont_trust"
        items = [
            {"text": t(lang, first), "href": ""},
            {"text": t(lang, "advice.ask_seller"), "href": ""},
        ]
        if report_form:
            items.append({"text": t(lang, "advice.report_form"), "href": "#report"})
        if authority:
            items.append(
                {"text": t(lang, "advice.report_authority", authority=authority), "href": ""}
            )
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


def _token_path(token: str) -> str:
    """``/T/{token}`` when the scanned text looks like a token, else "".

    Forms and links are built only from Base32-looking text, so a crafted link can put
    neither words nor another path of its choosing into the page.
    """
    if _TOKEN_CHARS.fullmatch(token) and len(token) <= _MAX_TOKEN_PATH:
        return f"/T/{token}"
    return ""


def _lang_query(lang: str) -> str:
    return "?lang=en" if lang == "en" else ""


def _place_form(lang: str, scan: object, token_path: str) -> dict[str, Any] | None:
    """The optional "which province are you in?" form, or the thanks once it was sent."""
    data = _mapping(scan)
    if data is None or not token_path:
        return None
    shared = _text(data.get("place_name"))
    if shared:
        place = find_place(shared)
        name = place.name_en if place is not None and lang == "en" else shared
        return {"thanks": t(lang, "share.thanks", place=name)}
    scan_id = _text(data.get("id"))
    if not scan_id or len(scan_id) > _MAX_SCAN_ID:
        return None
    options = [
        {"code": place.code, "label": place.name_en if lang == "en" else place.name_vi}
        for place in CURRENT_PLACES
    ]
    if lang == "en":  # CURRENT_PLACES is in Vietnamese order
        options.sort(key=lambda option: option["label"])
    return {
        "thanks": "",
        "action": f"{token_path}/place{_lang_query(lang)}",
        "scan_id": scan_id,
        "options": options,
    }


def _report_form(
    lang: str,
    token_path: str,
    *,
    open_: bool,
    problem: str = "",
    where_bought: str = "",
    contact: str = "",
) -> dict[str, Any] | None:
    if not token_path:
        return None
    return {
        "action": f"{token_path}/report{_lang_query(lang)}",
        "open": open_,
        "problem": problem,
        "where_bought": where_bought,
        "contact": contact,
    }


def _host(public_url: str) -> str:
    try:
        return (urlsplit(public_url).hostname or "").lower()
    except ValueError:
        return ""


def verify_context(
    report: Mapping[str, Any],
    lang: str,
    *,
    token: str,
    public_url: str,
    rate_limited: bool = False,
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
    findings = _findings(lang, report.get("findings"))
    recall = _recall(lang, report.get("batch"))
    banner = _banner(lang, verdict, report, producer, findings, recall)
    scan = _mapping(report.get("scan"))
    stamp = _stamp(
        lang,
        report.get("stamp"),
        verdict,
        today,
        this_one=scan is not None and scan.get("recorded") is True,
    )
    token_path = _token_path(token)
    report_form = _report_form(lang, token_path, open_=verdict in _REPORT_OPEN)
    notices: list[str] = []
    if rate_limited:
        notices.append(t(lang, "notice.rate_limited"))
    if batch is not None and batch["expired"]:
        notices.append(t(lang, "notice.batch_expired", date=batch["expiry_date"]))
    if product is not None and product["ocop"] is not None and product["ocop"]["expired"]:
        notices.append(t(lang, "notice.ocop_expired", date=product["ocop"]["expires"]))
    has_details = any(x is not None for x in (product, producer, batch)) or bool(history)
    details_notice = ""
    if has_details and verdict not in _RECORD_VERIFIED:
        details_notice = t(lang, "notice.unverified_details")
    elif has_details and verdict in ("suspect", "void"):
        details_notice = t(lang, "notice.record_not_item")
    host = _host(public_url)
    title = product["name"] if product and product["name"] else t(lang, "site.tagline")
    return {
        **_base_context(lang),
        "title": f"{banner['title']} · {title}",
        "switch_href": f"{token_path or ''}?lang={'en' if lang == 'vi' else 'vi'}",
        "banner": banner,
        # On a recalled batch's page the banner says it; on any other it gets its own box.
        "recall": recall if verdict != "recalled" else [],
        "advice": _advice(
            lang,
            verdict,
            banner["authority"],
            producer,
            report_form=report_form is not None and report_form["open"],
        ),
        "notices": notices,
        "details_notice": details_notice,
        "stamp": stamp,
        "place_form": _place_form(lang, scan, token_path),
        "report_form": report_form,
        "product": product,
        "producer": producer,
        "batch": batch,
        "history": history,
        "show_history": batch is not None or bool(history),
        "signature": _signature(lang, report, token, checked_text),
        "official_site": t(lang, "notice.official_site", host=host) if host else "",
    }


def render_verify_page(
    report: CheckOut | Mapping[str, Any],
    lang: str,
    *,
    token: str,
    public_url: str,
    rate_limited: bool = False,
) -> str:
    """The verification page for ``report`` (the JSON of ``GET /api/v1/verify/{token}``).

    ``token`` is the scanned token text and ``public_url`` the service's base URL
    (``TEM_PUBLIC_URL``), whose host the page names so that shoppers can spot a
    look-alike site. ``rate_limited`` adds a note that this scan was not recorded (the
    page is then served with HTTP 429). The place and report forms post to
    ``/T/{token}/place`` and ``/T/{token}/report``; they appear only when ``token``
    looks like a token. Never raises for missing or odd report fields: they are left out.
    """
    if isinstance(report, CheckOut):
        report = report.model_dump(mode="json")
    context = verify_context(
        report, lang, token=token, public_url=public_url, rate_limited=rate_limited
    )
    return _ENV.get_template("verify.html").render(context)


def _back_link(lang: str, token: str) -> str:
    """The verification page of ``token`` in ``lang``, or the home page for odd text."""
    token_path = _token_path(token)
    return f"{token_path}{_lang_query(lang)}" if token_path else f"/?lang={lang}"


def render_report_thanks(lang: str, *, token: str, report_id: str) -> str:
    """The page after a counterfeit report was taken in: its reference and a way back.

    ``report_id`` is the report's public id, shown for the shopper to quote. Raises nothing.
    """
    lang = i18n.normalize(lang)
    return _ENV.get_template("report_thanks.html").render(
        {
            **_base_context(lang),
            "title": t(lang, "report.thanks_title"),
            # This page answers a POST: there is no address to show it again in the
            # other language, so the switch is left out.
            "switch_href": "",
            "report_id": _text(report_id),
            "back": _back_link(lang, token),
        }
    )


def render_report_error(
    lang: str,
    *,
    token: str,
    message: str,
    status: int,
    problem: str = "",
    where_bought: str = "",
    contact: str = "",
) -> str:
    """The page for a counterfeit report that was refused (HTTP ``status``), saying why.

    ``message`` is the reason as the shopper should read it ("the photo is 7.3 MB; the
    limit is 5 MB"); it is shown as given. The form follows, filled with ``problem``,
    ``where_bought`` and ``contact`` when given (a photo cannot be kept), so the shopper
    can correct and resend without going back. Raises nothing.
    """
    lang = i18n.normalize(lang)
    return _ENV.get_template("report_error.html").render(
        {
            **_base_context(lang),
            "title": f"{t(lang, 'report.error_title')} · {t(lang, 'error.title', status=status)}",
            "switch_href": "",
            "message": _text(message) or t(lang, "error.generic"),
            "report_form": _report_form(
                lang,
                _token_path(token),
                open_=True,
                problem=problem,
                where_bought=where_bought,
                contact=contact,
            ),
            "back": _back_link(lang, token),
        }
    )


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
    "finding_text",
    "reason_text",
    "render_error_page",
    "render_home_page",
    "render_report_error",
    "render_report_thanks",
    "render_verify_page",
    "verify_context",
)
