"""The public pages a shopper sees: the verification page behind every QR code, a
short home page and simple error pages, rendered server-side with Jinja2.

The pages are one request each: no JavaScript, no web fonts, nothing from other
hosts; the style sheet is inlined and pinned by a Content-Security-Policy hash.
``render_verify_page`` turns the typed result of the one check
(:class:`tem.scans.check_schema.CheckOut`, what ``GET /api/v1/verify`` returns) into a
view model first, so the templates only lay out text that is already formatted and
translated. Every word comes from the catalogue (:mod:`tem.words`), chosen by reason
code, verdict and evidence, never by reading the English messages.

What a verdict claims follows DESIGN.md: a valid signature proves who published a
record and that it was not changed, never that the item in hand is genuine. For a
serialized stamp the scan history adds to that: the clone rules' findings
(:mod:`tem.scans.rules`) are shown in the shopper's words (:mod:`tem.scans.wording`),
with a form to say which province the scan was made in and another to report a suspected
fake. Both forms post to this host (the CSP allows ``form-action 'self'`` only) and need
no script.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from functools import partial
from importlib import resources
from typing import Any, Final, assert_never
from urllib.parse import urlsplit

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from tem.scans import wording
from tem.scans.check_schema import (
    BatchOut,
    CheckOut,
    EventOut,
    FindingOut,
    OcopOut,
    PlaceOut,
    ProducerOut,
    ProductOut,
    ReasonOut,
    RecallOut,
    ScanOut,
    StampOut,
)
from tem.scans.places import CURRENT_PLACES, find_place
from tem.scans.retention import DEFAULT_SCAN_DETAIL_DAYS
from tem.trace.schemas import is_tem_route
from tem.verify.verifier import ReasonCode, ReasonSubject, RecordStatus, Verdict
from tem.words import (
    VIETNAM_TIME,
    format_count,
    format_date,
    format_datetime,
    format_number,
    has,
    normalize,
    parse_date,
    parse_datetime,
    t,
)

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

_VERDICT_STYLE: Final[Mapping[Verdict, str]] = {
    Verdict.GENUINE: "ok",
    Verdict.INVALID: "bad",
    Verdict.UNKNOWN_KEY: "bad",
    Verdict.REVOKED: "warn",
    Verdict.SUSPECT: "warn",
    Verdict.RECALLED: "bad",
    Verdict.VOID: "bad",
}
_VERDICT_ICON: Final[Mapping[Verdict, str]] = {
    Verdict.GENUINE: "✓",
    Verdict.SUSPECT: "⚠",
    Verdict.RECALLED: "⚠",
}
# The record behind these verdicts verified: the details shown are the genuine record,
# and only the stamp (or the batch's fate) is in doubt.
_RECORD_VERIFIED: Final = frozenset(
    {Verdict.GENUINE, Verdict.SUSPECT, Verdict.RECALLED, Verdict.VOID}
)
# The shopper may well hold a fake: the report form opens by itself.
_REPORT_OPEN: Final = frozenset(
    {Verdict.SUSPECT, Verdict.INVALID, Verdict.VOID, Verdict.UNKNOWN_KEY}
)
# Route limits in tem.web.public: the scan id field and the token path.
_MAX_SCAN_ID = 32
_MAX_TOKEN_PATH = 512
_RECORD_STYLE: Final[Mapping[RecordStatus, str]] = {
    RecordStatus.VALID: "ok",
    RecordStatus.TAMPERED: "bad",
    RecordStatus.INVALID: "bad",
    RecordStatus.REVOKED: "warn",
}
_EVENT_TYPES = ("harvesting", "processing", "packing", "shipping", "receiving", "inspecting")


def _clean(value: str | None) -> str:
    """A text field of the check as display text: None becomes "", white space is trimmed."""
    return value.strip() if value is not None else ""


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


def reason_text(lang: str, reason: ReasonOut, *, subject: bool = True) -> str:
    """One reason in plain words in ``lang``, from its code and data, never its message.

    With ``subject``, the event a reason is about is named by the stage number the
    journey shows ("Bước 3: ..."), and the batch record as such.
    """
    text = t(lang, f"reason.{reason.code.value}")
    if not subject:
        return text
    if reason.event is not None and reason.event > 0:
        return t(lang, "reason.stage_prefix", n=reason.event, text=text)
    if reason.subject is ReasonSubject.BATCH:
        return t(lang, "reason.batch_prefix", text=text)
    return text


def _reasons(
    lang: str, reasons: Sequence[ReasonOut], *, subject: bool = True
) -> list[dict[str, str]]:
    return [
        {
            "code": reason.code.value,
            "text": reason_text(lang, reason, subject=subject),
            "detail": _clean(reason.message),
        }
        for reason in reasons
    ]


def finding_text(lang: str, finding: FindingOut) -> str:
    """One clone-rule finding in plain words in ``lang``, built from its rule and evidence
    by :func:`tem.scans.wording.describe`.

    A finding whose evidence cannot be worded (a value of the wrong type) keeps its English
    message, or failing that the rule's generic words; so does a code that is no clone
    rule. Raises nothing.
    """
    rule = finding.rule.value
    if rule in wording.SENTENCES:
        try:
            return wording.describe(rule, finding.evidence, lang)
        # Evidence of the wrong type surfaces as TypeError or OverflowError, not only
        # ValueError; the English message is still right.
        except (ValueError, TypeError, OverflowError):
            pass
    return _clean(finding.message) or t(lang, f"reason.{rule}")


def _findings(lang: str, findings: Sequence[FindingOut]) -> list[dict[str, str]]:
    return [
        {
            "rule": finding.rule.value,
            "text": finding_text(lang, finding),
            "detail": _clean(finding.message),
        }
        for finding in findings
    ]


def _address(*parts: str | None) -> str:
    """Address parts joined small to large (street, commune, district, province)."""
    return ", ".join(p for p in (_clean(part) for part in parts) if p)


def _place(lang: str, place: PlaceOut | None) -> dict[str, str] | None:
    if place is None:
        return None
    lat, lon = _clean(place.lat), _clean(place.lon)
    coordinates = geo = ""
    in_range = _COORDINATE.fullmatch(lat) and _COORDINATE.fullmatch(lon)
    if in_range and abs(float(lat)) <= 90 and abs(float(lon)) <= 180:
        coordinates = t(lang, "place.coordinates", lat=lat, lon=lon)
        geo = f"geo:{lat},{lon}"
    name, address = _clean(place.name), _clean(place.address)
    if not (name or address or coordinates):
        return None
    return {"name": name, "address": address, "coordinates": coordinates, "geo": geo}


def _expired(value: str, today: date | None) -> bool:
    day = parse_date(value)
    return day is not None and today is not None and day < today


def _local_day(moment: datetime) -> date:
    """The calendar day of ``moment``, in Vietnam time when it has an offset."""
    return moment.astimezone(VIETNAM_TIME).date() if moment.tzinfo is not None else moment.date()


def _day_text(moment: datetime | None, lang: str) -> str:
    return format_date(_local_day(moment), lang) if moment is not None else ""


def _image(url: str) -> tuple[str, str]:
    """(src, link): same-host paths are embedded, https URLs only linked, anything else
    dropped; so is a path to Tem's own pages or API (loading it would scan a stamp, H3)."""
    if _SAME_HOST_PATH.fullmatch(url):
        return ("", "") if is_tem_route(url) else (url, "")
    if _EXTERNAL_LINK.fullmatch(url):
        return "", url
    return "", ""


def _product(lang: str, product: ProductOut | None, today: date | None) -> dict[str, Any] | None:
    if product is None:
        return None
    name = _clean(product.name)
    image_src, image_link = _image(_clean(product.image_url))
    shelf_life = product.shelf_life_days
    return {
        "name": name,
        "id": _clean(product.id),
        "image_src": image_src,
        "image_link": image_link,
        "image_alt": t(lang, "product.image_alt", name=name),
        "category": _clean(product.category),
        "description": _clean(product.description),
        "ingredients": _clean(product.ingredients),
        "standards": [text for text in map(_clean, product.standards) if text],
        "shelf_life": (
            t(lang, "product.shelf_life_days", days=format_number(shelf_life, lang))
            if shelf_life is not None
            else ""
        ),
        "gtin": _clean(product.gtin),
        "ocop": _ocop(lang, product.ocop, today),
    }


def _ocop(lang: str, ocop: OcopOut | None, today: date | None) -> dict[str, Any] | None:
    if ocop is None or ocop.stars is None or not 0 < ocop.stars <= 5:
        return None
    stars = ocop.stars
    expires = _clean(ocop.expires)
    return {
        "stars": stars,
        "filled": "★" * stars,
        "empty": "☆" * (5 - stars),
        "label": t(lang, "ocop.stars", stars=stars),
        "certificate": _clean(ocop.certificate),
        "council": _clean(ocop.council),
        "awarded": format_date(_clean(ocop.awarded) or None, lang),
        "expires": format_date(expires or None, lang),
        "expired": _expired(expires, today),
    }


def _producer(producer: ProducerOut | None) -> dict[str, str] | None:
    if producer is None:
        return None
    phone = _clean(producer.phone)
    dial = re.sub(r"[^\d+]", "", phone)
    email = _clean(producer.email)
    return {
        "name": _clean(producer.name),
        "address": _address(
            producer.street, producer.commune, producer.district, producer.province
        ),
        "phone": phone,
        "phone_href": f"tel:{dial}" if re.fullmatch(r"\+?\d{3,15}", dial) else "",
        "email": email,
        "email_href": f"mailto:{email}" if _EMAIL.fullmatch(email) else "",
    }


def _record_badge(lang: str, status: RecordStatus) -> dict[str, str]:
    return {"style": _RECORD_STYLE[status], "text": t(lang, f"record.{status.value}")}


def _batch(lang: str, batch: BatchOut | None, today: date | None) -> dict[str, Any] | None:
    if batch is None:
        return None
    quantity = " ".join(
        p for p in (format_number(_clean(batch.quantity), lang), _clean(batch.unit)) if p
    )
    expiry = _clean(batch.expiry_date)
    return {
        "lot_code": _clean(batch.lot_code),
        "trace_code": _clean(batch.trace_code),
        "quantity": quantity,
        "production_date": format_date(_clean(batch.production_date) or None, lang),
        "expiry_date": format_date(expiry or None, lang),
        "expired": _expired(expiry, today),
        "origin": _place(lang, batch.origin),
        "signed_at": format_datetime(batch.signed_at, lang, tz=VIETNAM_TIME),
        "badge": _record_badge(lang, batch.record.status),
        "reasons": _reasons(lang, batch.record.reasons, subject=False),
        "recalled": _recall_row(lang, batch.recall),
    }


def _recall_row(lang: str, recall: RecallOut | None) -> str:
    if recall is None:
        return ""
    return t(lang, "batch.recalled_on", date=_day_text(recall.recalled_at, lang))


def _recall(lang: str, batch: BatchOut | None) -> list[str]:
    """What the page says about a recalled batch (date, reason, what to do); [] if none.

    Shown on every page of the batch, labels and stamps alike, whatever the verdict.
    """
    recall = batch.recall if batch is not None else None
    if recall is None:
        return []
    lines = [t(lang, "recall.on", date=_day_text(recall.recalled_at, lang))]
    reason = _clean(recall.reason)
    if reason:
        lines.append(t(lang, "recall.reason", reason=reason))
    lines.append(t(lang, "recall.advice"))
    return lines


def _since(moment: datetime | None, lang: str, today: date | None) -> str:
    if moment is None:
        return ""
    day = _local_day(moment)
    if day == today:
        return t(lang, "stamp.since_today")
    return t(lang, "stamp.since_day", date=format_date(day, lang))


def _scans_sentence(
    lang: str, count: int, first_scan_at: datetime | None, today: date | None, *, this_one: bool
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
    lang: str, stamp: StampOut | None, verdict: Verdict, today: date | None, *, this_one: bool
) -> dict[str, Any] | None:
    """The "Stamp" section of a serialized stamp; None for a batch label."""
    if stamp is None:
        return None
    void = stamp.status.strip() == "void"
    if void:
        day = _day_text(stamp.voided_at, lang)
        status = t(lang, "stamp.void_on", date=day) if day else t(lang, "stamp.void")
    else:
        status = t(lang, "stamp.active")
    return {
        "serial": _clean(stamp.serial),
        "number": (
            t(lang, "stamp.number_value", n=format_number(stamp.seq, lang)) if stamp.seq > 0 else ""
        ),
        "status": status,
        "void": void,
        "scans": (
            _scans_sentence(lang, stamp.scan_count, stamp.first_scan_at, today, this_one=this_one)
            if stamp.scan_count >= 0
            else ""
        ),
        "normal": t(lang, "stamp.normal") if verdict is Verdict.GENUINE else "",
        "reviewed": (
            t(lang, "stamp.reviewed", date=_day_text(stamp.reviewed_at, lang))
            if stamp.reviewed_at is not None
            else ""
        ),
    }


def _void_lines(lang: str, stamp: StampOut | None) -> list[str]:
    """When and why a stamp was voided, from the stamp itself (when no finding says it)."""
    day = _day_text(stamp.voided_at, lang) if stamp is not None else ""
    lines = [t(lang, "verdict.void.on", date=day) if day else t(lang, "verdict.void.undated")]
    reason = _clean(stamp.void_reason) if stamp is not None else ""
    if reason:
        lines.append(t(lang, "recall.reason", reason=reason))
    return lines


def _event(lang: str, event: EventOut) -> dict[str, Any]:
    number = event.seq + 1
    kind = _clean(event.type)
    readable = any(v is not None for v in (event.type, event.time, event.place, event.actor))
    if kind in _EVENT_TYPES:
        title = t(lang, f"event.{kind}")
    elif kind == "custom":
        title = _clean(event.type_label) or t(lang, "event.custom")
    else:
        title = kind
    badge = _record_badge(lang, event.status)
    time = _clean(event.time)
    return {
        "number": number,
        "stage": t(lang, "journey.stage", n=number),
        "title": title,
        "readable": readable,
        "time": format_datetime(time or None, lang),
        "time_iso": time if parse_datetime(event.time) else "",
        "place": _place(lang, event.place),
        "actor": _clean(event.actor),
        "notes": _clean(event.notes),
        "trace_code": _clean(event.trace_code),
        "badge": badge,
        "style": badge["style"],
        # Shown inside the stage itself, so without "Stage n:" in front.
        "reasons": _reasons(lang, event.reasons, subject=False),
    }


def _signature(lang: str, check: CheckOut, token: str, checked: str) -> dict[str, str]:
    signer, claimed = check.signer, check.token

    def when(moment: datetime | None) -> str:
        return format_datetime(moment, lang, tz=VIETNAM_TIME)

    window = ""
    if signer is not None:
        window = t(
            lang, "signature.window", start=when(signer.sign_from), end=when(signer.sign_until)
        )
    # The scanned text is echoed only when it looks like a token (Base32 letters and
    # digits), so a crafted link cannot make the official page display words of its choosing.
    shown_token = ""
    if _TOKEN_CHARS.fullmatch(token):
        shown_token = token if len(token) <= _MAX_TOKEN_SHOWN else token[:_MAX_TOKEN_SHOWN] + "…"
    key_id = _clean(signer.key_id) if signer is not None else ""
    return {
        "signer": _clean(signer.name) if signer is not None else "",
        "key_id": key_id or (_clean(claimed.key_id) if claimed is not None else ""),
        "endorsed_by": _clean(signer.endorsed_by.name) if signer is not None else "",
        "authority_key_id": _clean(signer.endorsed_by.key_id) if signer is not None else "",
        "sign_window": window,
        "verify_until": when(signer.verify_until) if signer is not None else "",
        "issued_at": when(claimed.issued_at) if claimed is not None else "",
        "batch_id": _clean(claimed.batch_id) if claimed is not None else "",
        "checked_at": checked,
        "token": shown_token,
    }


def _banner(
    lang: str,
    check: CheckOut,
    producer: Mapping[str, str] | None,
    findings: Sequence[Mapping[str, str]],
    recall: Sequence[str],
) -> dict[str, Any]:
    """The verdict banner: title, what it means, and the evidence in the shopper's words.

    Each clone-rule finding is shown once, in ``lang`` (:func:`finding_text`); a reason
    with the same code as a finding is not repeated, nor one the banner's lead already says.
    """
    verdict = check.verdict
    signer = check.signer
    authority = _clean(signer.endorsed_by.name) if signer is not None else ""
    signer_name = (_clean(signer.name) if signer is not None else "") or (producer or {}).get(
        "name", ""
    )
    reasons = _reasons(lang, check.reasons)
    found = {f["rule"] for f in findings}
    key_leak = verdict is Verdict.INVALID and ReasonCode.KEY_LEAK in (
        found | {r["code"] for r in reasons}
    )
    # Rules the lead (or the recall box) states already.
    said: set[str] = {ReasonCode.RECALLED} if recall else set()
    lines: list[str] = []
    caveat = ""
    style = _VERDICT_STYLE[verdict]
    icon = _VERDICT_ICON.get(verdict, "✗")
    if verdict is Verdict.GENUINE:
        title = t(lang, "verdict.genuine.title")
        lines.append(t(lang, "verdict.genuine.by", signer=signer_name, authority=authority))
        caveat = t(lang, "verdict.genuine.caveat", signer=signer_name)
    elif verdict is Verdict.SUSPECT:
        title = t(lang, "verdict.suspect.title")
        if signer_name:
            lines.append(t(lang, "verdict.suspect.lead", signer=signer_name))
        else:
            lines.append(t(lang, "verdict.suspect.lead_anonymous"))
        caveat = t(lang, "verdict.suspect.caveat")
    elif verdict is Verdict.RECALLED:
        title = t(lang, "verdict.recalled.title")
        if recall:
            lines.extend(recall)
        else:
            lines.extend(f["text"] for f in findings if f["rule"] == ReasonCode.RECALLED)
            lines.append(t(lang, "recall.advice"))
            said.add(ReasonCode.RECALLED)
    elif verdict is Verdict.VOID:
        title = t(lang, "verdict.void.title")
        void = [f["text"] for f in findings if f["rule"] == ReasonCode.VOID]
        lines.extend(void or _void_lines(lang, check.stamp))
        lines.append(t(lang, "verdict.void.lead"))
        said.add(ReasonCode.VOID)
    elif verdict is Verdict.REVOKED:
        title = t(lang, "verdict.revoked.title")
        if signer_name and authority:
            lines.append(t(lang, "verdict.revoked.lead", signer=signer_name, authority=authority))
        else:
            lines.append(t(lang, "verdict.revoked.lead_anonymous"))
    elif verdict is Verdict.UNKNOWN_KEY:
        title = t(lang, "verdict.unknown_key.title")
        lines.append(t(lang, "verdict.unknown_key.lead"))
        # The lead already says it in the same words.
        said.add(ReasonCode.UNKNOWN_KEY)
    elif verdict is Verdict.INVALID and key_leak:
        title = t(lang, "verdict.key_leak.title")
        style, icon = "alarm", "⚠"
        if signer_name:
            lines.append(t(lang, "verdict.key_leak.lead", signer=signer_name))
        else:
            lines.append(t(lang, "verdict.key_leak.lead_anonymous"))
        lines.append(t(lang, "verdict.key_leak.act"))
        said.add(ReasonCode.KEY_LEAK)
    elif verdict is Verdict.INVALID:
        title = t(lang, "verdict.invalid.title")
        lines.append(t(lang, "verdict.invalid.lead"))
    else:
        assert_never(verdict)
    if ReasonCode.TOO_MANY_SCANS in found:
        # Its sentence already counts the phones: the second would repeat the same numbers.
        said.add(ReasonCode.TOO_MANY_SESSIONS)
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
        "verdict": verdict.value,
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
    verdict: Verdict,
    authority: str,
    producer: Mapping[str, str] | None,
    *,
    report_form: bool,
) -> list[dict[str, str]]:
    """What a shopper should do about a code that failed or a stamp in doubt; each item
    may carry a link (a phone number, or the report form further down the page)."""
    if verdict is Verdict.GENUINE:
        return []
    if verdict is Verdict.RECALLED:
        items = [
            {"text": t(lang, "advice.recalled_stop"), "href": ""},
            {"text": t(lang, "advice.recalled_return"), "href": ""},
        ]
    else:
        first = "advice.check_packaging" if verdict is Verdict.SUSPECT else "advice.dont_trust"
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


def _place_form(
    lang: str, scan: ScanOut | None, token_path: str, scan_detail_days: int
) -> dict[str, Any] | None:
    """The optional "which province are you in?" form, or the thanks once it was sent.

    Its consent sentence says what a scan keeps and for how long (``TEM_SCAN_DETAIL_DAYS``,
    docs/privacy.md).
    """
    if scan is None or not token_path:
        return None
    shared = _clean(scan.place_name)
    if shared:
        place = find_place(shared)
        name = place.name_en if place is not None and lang == "en" else shared
        return {"thanks": t(lang, "share.thanks", place=name)}
    scan_id = _clean(scan.id)
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
        "kept": t(lang, "share.kept", days=format_count(scan_detail_days, lang)),
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
    check: CheckOut,
    lang: str,
    *,
    token: str,
    public_url: str,
    rate_limited: bool = False,
    scan_detail_days: int = DEFAULT_SCAN_DETAIL_DAYS,
) -> dict[str, Any]:
    """The view model of the verification page: every value formatted and translated."""
    lang = normalize(lang)
    checked = check.checked_at
    today = checked.astimezone(VIETNAM_TIME).date() if checked.tzinfo is not None else None
    checked_text = format_datetime(checked, lang, tz=VIETNAM_TIME)
    verdict = check.verdict
    producer = _producer(check.producer)
    product = _product(lang, check.product, today)
    batch = _batch(lang, check.batch, today)
    history = [_event(lang, event) for event in check.history]
    findings = _findings(lang, check.findings)
    recall = _recall(lang, check.batch)
    banner = _banner(lang, check, producer, findings, recall)
    scan = check.scan
    stamp = _stamp(lang, check.stamp, verdict, today, this_one=scan is not None and scan.recorded)
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
    elif has_details and verdict in (Verdict.SUSPECT, Verdict.VOID):
        details_notice = t(lang, "notice.record_not_item")
    host = _host(public_url)
    title = product["name"] if product and product["name"] else t(lang, "site.tagline")
    return {
        **_base_context(lang),
        "title": f"{banner['title']} · {title}",
        "switch_href": f"{token_path or ''}?lang={'en' if lang == 'vi' else 'vi'}",
        "banner": banner,
        # On a recalled batch's page the banner says it; on any other it gets its own box.
        "recall": recall if verdict is not Verdict.RECALLED else [],
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
        "place_form": _place_form(lang, scan, token_path, scan_detail_days),
        "report_form": report_form,
        "product": product,
        "producer": producer,
        "batch": batch,
        "history": history,
        "show_history": batch is not None or bool(history),
        "signature": _signature(lang, check, token, checked_text),
        "official_site": t(lang, "notice.official_site", host=host) if host else "",
    }


def render_verify_page(
    check: CheckOut,
    lang: str,
    *,
    token: str,
    public_url: str,
    rate_limited: bool = False,
    scan_detail_days: int = DEFAULT_SCAN_DETAIL_DAYS,
) -> str:
    """The verification page for ``check`` (:meth:`tem.scans.check.Check.out`, the same
    object ``GET /api/v1/verify`` returns as JSON), rendered from its typed fields.

    ``token`` is the scanned token text and ``public_url`` the service's base URL
    (``TEM_PUBLIC_URL``), whose host the page names so that shoppers can spot a
    look-alike site. ``rate_limited`` adds a note that this scan was not recorded (the
    page is then served with HTTP 429). ``scan_detail_days`` (``TEM_SCAN_DETAIL_DAYS``) is
    the retention the place form's consent sentence states. The place and report forms post to
    ``/T/{token}/place`` and ``/T/{token}/report``; they appear only when ``token``
    looks like a token. Raises nothing: a field the check left empty is left out.
    """
    context = verify_context(
        check,
        lang,
        token=token,
        public_url=public_url,
        rate_limited=rate_limited,
        scan_detail_days=scan_detail_days,
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
    lang = normalize(lang)
    return _ENV.get_template("report_thanks.html").render(
        {
            **_base_context(lang),
            "title": t(lang, "report.thanks_title"),
            # This page answers a POST: there is no address to show it again in the
            # other language, so the switch is left out.
            "switch_href": "",
            "report_id": report_id.strip(),
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
    lang = normalize(lang)
    return _ENV.get_template("report_error.html").render(
        {
            **_base_context(lang),
            "title": f"{t(lang, 'report.error_title')} · {t(lang, 'error.title', status=status)}",
            "switch_href": "",
            "message": message.strip() or t(lang, "error.generic"),
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
    """A small page for an HTTP error. ``message_key`` is one of :data:`tem.web.i18n.ERROR_KEYS`
    (any other key falls back to the generic message)."""
    lang = normalize(lang)
    key = message_key if has(lang, message_key) else "error.generic"
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
    lang = normalize(lang)
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
