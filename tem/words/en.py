"""English: the same keys as :mod:`tem.words.vi`, with the same placeholders."""

from __future__ import annotations

from typing import Final

WORDS: Final[dict[str, str]] = {
    "site.name": "Tem",
    "site.tagline": "Origin tracing for OCOP products",
    "lang.switch": "Tiếng Việt",
    "lang.switch_label": "View this page in Vietnamese",
    "nav.home": "What is Tem?",
    "verdict.genuine.title": "Genuine record",
    "verdict.genuine.by": "Signed by {signer}, endorsed by {authority}.",
    "verdict.genuine.caveat": (
        "The digital signature proves that {signer} published the information below and that "
        "it has not been changed. It does not prove that the item in your hand is genuine, "
        "because a QR code can be copied: check that the packaging is intact and matches the "
        "description below."
    ),
    "verdict.invalid.title": "Not a valid code",
    "verdict.invalid.lead": "This code could not be verified. Why:",
    "verdict.revoked.title": "Signing key revoked",
    "verdict.revoked.lead": (
        "{authority} revoked the signing key of {signer} before this code was signed, "
        "so the code cannot be trusted."
    ),
    "verdict.revoked.lead_anonymous": (
        "The key that signed this code was revoked before the code was signed, "
        "so the code cannot be trusted."
    ),
    "verdict.unknown_key.title": "Unknown signer",
    "verdict.unknown_key.lead": (
        "This code was signed with a key that no trusted authority vouches for. "
        "It is most likely counterfeit."
    ),
    "verdict.suspect.title": "Warning: this code may have been copied",
    "verdict.suspect.lead": (
        "The record from {signer} is genuine, but this particular stamp has been scanned "
        "the way a copied stamp would be:"
    ),
    "verdict.suspect.lead_anonymous": (
        "The record is genuine, but this particular stamp has been scanned the way a copied "
        "stamp would be:"
    ),
    "verdict.suspect.caveat": (
        "This does not prove the product is fake (a display jar, for example, is scanned by "
        "many people), but be careful before you buy or use it."
    ),
    "verdict.recalled.title": "This batch has been recalled",
    "verdict.void.title": "This stamp has been voided",
    "verdict.void.on": "This stamp was voided on {date}.",
    "verdict.void.undated": "This stamp has been voided.",
    "verdict.void.lead": (
        "A voided stamp no longer vouches for any product. Stamps are voided when they are "
        "lost, stolen, misprinted or found to be copied."
    ),
    "verdict.key_leak.title": "Counterfeit: valid signature, but this stamp was never issued",
    "verdict.key_leak.lead": (
        "The digital signature matches the signing key of {signer}, but {signer} never issued "
        "a stamp with this serial number. That means the signing key has leaked and someone "
        "is using it to make fake stamps."
    ),
    "verdict.key_leak.lead_anonymous": (
        "The digital signature is valid, but no stamp with this serial number was ever "
        "issued. That means the signing key has leaked and someone is using it to make fake "
        "stamps."
    ),
    "verdict.key_leak.act": (
        "Do not buy or use this product. Report it now with the form below, and tell the "
        "market surveillance office where you found it."
    ),
    "recall.on": "This batch was recalled on {date}.",
    "recall.reason": "Reason: {reason}",
    "recall.advice": (
        "Do not use this product; take it back to the seller or contact the producer."
    ),
    "advice.title": "What should you do?",
    "advice.dont_trust": "Do not trust this product just because it has a QR code.",
    "advice.ask_seller": "Ask the seller where the goods come from and for an invoice.",
    "advice.report_authority": (
        "Report it to {authority} or to the market surveillance office where you bought it."
    ),
    "advice.report_generic": (
        "Report it to the market surveillance office where you bought it, "
        "or to the provincial OCOP council."
    ),
    "advice.contact_producer": "Ask the producer, {producer}, directly: {phone}.",
    "advice.check_packaging": (
        "Look closely at the packaging: is the stamp blurred, stuck over another one, peeled "
        "off and stuck back, or does the packaging differ from the product picture?"
    ),
    "advice.report_form": "Tell us with the “Report a suspected fake” form below.",
    "advice.recalled_stop": "Do not use this product.",
    "advice.recalled_return": (
        "Take it back to the seller, or ask the producer about a refund or exchange."
    ),
    "notice.unverified_details": (
        "Below is what was digitally signed, but the code failed its checks: "
        "do not rely on it to trust the product."
    ),
    "notice.batch_expired": "This batch expired on {date}.",
    "notice.ocop_expired": "The product's OCOP certificate expired on {date}.",
    "notice.record_not_item": (
        "Below is the genuine record of the batch this stamp was issued for, but the item "
        "in your hand may not belong to it."
    ),
    "notice.rate_limited": "You are scanning too fast; this scan was not recorded.",
    "notice.official_site": (
        "The official verification page is at {host}. If your browser's address bar shows "
        "another name, do not trust this page."
    ),
    "reason.malformed_token": (
        "The code is damaged or is not a Tem code: it may be cut off, badly printed or "
        "mistyped. Scan it again; if it still fails, do not trust it."
    ),
    "reason.unknown_key": (
        "The code was signed with a key that no trusted authority vouches for. "
        "It is most likely counterfeit."
    ),
    "reason.bad_signature": (
        "The digital signature does not match: the code was altered or forged."
    ),
    "reason.outside_signing_window": (
        "The signature was made at a time when its key was not allowed to sign "
        "(before it was issued or after its signing period ended)."
    ),
    "reason.verification_window_ended": (
        "The signing key's validity period has ended, so this signature is no longer accepted."
    ),
    "reason.key_revoked": (
        "The authority revoked the signing key before this signature was made "
        "(usually because the key was lost or stolen)."
    ),
    "reason.issued_in_future": (
        "It claims to have been signed in the future, which a genuine signature cannot."
    ),
    "reason.record_not_found": (
        "The signature is valid but this service has no such batch: someone may have used a "
        "stolen signing key to make fake codes. Please report it to the authorities."
    ),
    "reason.malformed_record": "The stored record is damaged and cannot be read.",
    "reason.record_signature_invalid": (
        "The stored record no longer matches its digital signature: it was changed after signing."
    ),
    "reason.record_mismatch": (
        "The stored data no longer matches what was signed: the record was tampered with "
        "after signing."
    ),
    "reason.chain_gap": "The journey has a gap: a stage was removed or reordered.",
    "reason.chain_broken": (
        "This stage does not follow the one before it: the journey's history was altered."
    ),
    "reason.chain_unverifiable": (
        "This stage cannot be read, so the rest of the journey cannot be checked."
    ),
    "reason.chain_foreign_event": "The journey contains a stage that belongs to another batch.",
    "reason.stamp_batch_mismatch": (
        "The stamp's stored batch no longer matches its signature: the record was altered."
    ),
    "reason.key_leak": (
        "The signature is valid but the stamp's serial number was never issued: the signing "
        "key has leaked. This is a fake stamp."
    ),
    "reason.void": "This stamp has been voided.",
    "reason.recalled": "The batch this product belongs to has been recalled.",
    "reason.too_many_scans": (
        "This stamp has been scanned far more often than a genuine stamp usually is."
    ),
    "reason.too_many_sessions": "This stamp has been scanned by more phones than usual.",
    "reason.impossible_travel": (
        "This stamp was scanned in two places too far apart for the time between the scans."
    ),
    "reason.stage_prefix": "Stage {n}: {text}",
    "reason.batch_prefix": "Batch record: {text}",
    "reason.details": "Technical details",
    "product.title": "Product",
    "product.image_link": "View product image",
    "product.image_alt": "Picture of {name}",
    "product.no_image": "No product image",
    "product.category": "Category",
    "product.description": "Description",
    "product.ingredients": "Ingredients",
    "product.standards": "Standards applied",
    "product.shelf_life": "Shelf life",
    "product.shelf_life_days": "{days} days from production",
    "product.gtin": "Barcode number (GTIN)",
    "product.code": "Product code",
    "product.none": "None",
    "ocop.title": "OCOP certification",
    "ocop.stars": "OCOP {stars} stars",
    "ocop.certificate": "Certificate number",
    "ocop.council": "Awarding council",
    "ocop.awarded": "Awarded",
    "ocop.expires": "Valid until",
    "producer.title": "Producer",
    "producer.name": "Name",
    "producer.address": "Address",
    "producer.phone": "Phone",
    "producer.email": "Email",
    "batch.title": "Batch",
    "batch.lot_code": "Lot number",
    "batch.trace_code": "Trace code",
    "batch.quantity": "Quantity",
    "batch.production_date": "Production date",
    "batch.expiry_date": "Best before",
    "batch.origin": "Place of origin",
    "batch.signed_at": "Record signed",
    "batch.recalled": "Recall",
    "batch.recalled_on": "Recalled on {date}",
    "stamp.title": "Stamp",
    "stamp.serial": "Serial number",
    "stamp.number": "Number in its print run",
    "stamp.number_value": "No. {n}",
    "stamp.status": "Status",
    "stamp.active": "Active",
    "stamp.void": "Voided",
    "stamp.void_on": "Voided on {date}",
    "stamp.scans": "Scans",
    "stamp.scans_none": "Not scanned yet.",
    "stamp.scans_first": "This is the first time this stamp has been scanned.",
    "stamp.scans_one": "Scanned once{this}",
    "stamp.scans_many": "Scanned {count} times{this}",
    "stamp.including_this": " (including this one)",
    "stamp.first_since": ", first {since}.",
    "stamp.only_since": ", {since}.",
    "stamp.since_today": "today",
    "stamp.since_day": "on {date}",
    "stamp.reviewed": (
        "Inspectors reviewed this stamp's scan history on {date}; only scans since then count towards spotting a copy."
    ),
    "stamp.normal": (
        "A genuine stamp is normally scanned only a few times: when it is sold and when its "
        "buyer checks it. If the number above is unusually large, be careful."
    ),
    "share.question": "Help catch fakes: which province or city are you in?",
    "share.choose": "— choose —",
    "share.optional": (
        "Optional. Only the province is kept, never your exact location, name or phone "
        "number. It helps inspectors see where codes are scanned and spot copies."
    ),
    "share.kept": (
        "Each scan is kept with its time, the name of your browser and phone system (such "
        "as Chrome, Android) and anonymous codes for this browser and your network, never "
        "your IP address. After {days} days only the day, the province and the result "
        "remain."
    ),
    "share.submit": "Send",
    "share.thanks": "Thank you! Recorded: {place}",
    "report.title": "Report a suspected fake",
    "report.intro": (
        "If you think this product is fake, tell us. Inspectors and the authorities will read "
        "your report."
    ),
    "report.problem": "What looks wrong?",
    "report.problem_hint": (
        "For example: a stamp stuck over another, an unusually low price, an odd taste. "
        "5 to 2,000 characters."
    ),
    "report.where_bought": "Where did you buy or see it? (optional)",
    "report.where_bought_hint": "The shop, market or website, and its address.",
    "report.contact": "How to reach you (optional)",
    "report.contact_hint": (
        "A phone number or email, if you would like to hear back about it. Only inspectors "
        "see it, and it is erased after the report is closed."
    ),
    "report.photo": "Photo of the product or stamp (optional)",
    "report.photo_hint": "JPEG, PNG or WebP, up to 5 MB.",
    "report.submit": "Send report",
    "report.thanks_title": "Thank you for your report",
    "report.thanks_lead": "Your report has been sent. Inspectors will look into it.",
    "report.reference": "Report reference",
    "report.reference_hint": "Keep this reference if you want to ask about your report.",
    "report.back": "Back to the check page",
    "report.error_title": "Your report was not sent",
    "report.error_lead": "The report was not accepted because:",
    "report.error_retry": "Please correct it and send it again with the form below.",
    "status.expired": "expired",
    "place.coordinates": "Coordinates: {lat}, {lon}",
    "journey.title": "Product journey",
    "journey.empty": "No stages have been recorded yet.",
    "journey.stage": "Stage {n}",
    "journey.place": "Place",
    "journey.actor": "Done by",
    "journey.notes": "Notes",
    "journey.trace_code": "Trace code",
    "journey.unreadable": "The signed content of this stage cannot be read.",
    "event.harvesting": "Harvest",
    "event.processing": "Processing",
    "event.packing": "Packing",
    "event.shipping": "Shipping",
    "event.receiving": "Receiving",
    "event.inspecting": "Quality inspection",
    "event.custom": "Other stage",
    "record.valid": "✓ Signed",
    "record.tampered": "✗ Altered",
    "record.invalid": "✗ Invalid",
    "record.revoked": "⚠ Key revoked",
    "signature.title": "Digital signature",
    "signature.signer": "Signer",
    "signature.key_id": "Signing key id",
    "signature.endorsed_by": "Endorsed by",
    "signature.authority_key_id": "Authority key id",
    "signature.sign_window": "Allowed to sign",
    "signature.verify_until": "Signatures accepted until",
    "signature.window": "{start} – {end}",
    "signature.issued_at": "Code signed",
    "signature.batch_id": "Batch id",
    "signature.checked_at": "Checked",
    "signature.token": "Scanned code",
    "signature.none": "No valid digital signature.",
    "error.title": "Error {status}",
    "error.bad_request": "The request is not valid. Please check the link.",
    "error.not_found": (
        "This page does not exist. If you typed the address, check it; "
        "better, scan the QR code with your camera."
    ),
    "error.rate_limited": (
        "You have checked too many times in a short while. Please wait a minute and try again."
    ),
    "error.server": "Something went wrong on our side. Please try again in a few minutes.",
    "error.unavailable": "The service is down for maintenance. Please try again in a few minutes.",
    "error.generic": "Something went wrong. Please try again later.",
    "home.title": "Tem: check where an OCOP product comes from",
    "home.intro": (
        "Tem tells you who made an OCOP product, where and when, and whether that information "
        "was really published by the cooperative."
    ),
    "home.how_title": "How to check",
    "home.how_1": "Open your phone's camera and point it at the QR code on the product's label.",
    "home.how_2": "Tap the link that appears. No app is needed.",
    "home.how_3": "Read the result at the top: green is a genuine record, red means a problem.",
    "home.shows_title": "The result page shows",
    "home.shows_1": (
        "Whether the record was signed by the cooperative and endorsed by an authority."
    ),
    "home.shows_2": (
        "Name, picture, ingredients, standards applied, shelf life and the OCOP star rating."
    ),
    "home.shows_3": "The producer, lot number, production date and the journey from the farm.",
    "home.limits_title": "Good to know",
    "home.limits": (
        "A digital signature proves who published the information and that it was not "
        "changed. A QR code can be copied, so always look at the packaging and buy from "
        "sellers you trust. If the page shows red, do not trust the product and report it "
        "to the market surveillance office."
    ),
    "rule.key_leak": (
        "This stamp's serial number was never issued, yet its signature is valid: "
        "the signing key has probably leaked. Treat this product as counterfeit."
    ),
    "rule.void": "This stamp was voided{on}{reason}{after}.",
    "rule.void.after": " and has been scanned {times} since",
    "rule.recalled": "The batch this product belongs to was recalled{on}{reason}.",
    "rule.too_many_scans": "Scanned {times} by {phones}{since}{first_place}.",
    "rule.too_many_sessions": (
        "Scanned by {sessions} different phones ({scans} scans in all){since}{first_place}."
    ),
    "rule.impossible_travel": (
        "Scanned near {origin} at {when}, then near {destination} {gap} later, "
        "{distance} km away: too far apart for one stamp to travel in that time."
    ),
    "rule.on": " on {date}",
    "rule.reason": " (reason: {reason})",
    "rule.since": " since {date}",
    "rule.first_place": "; first near {place}",
    "rule.unknown_place": "an unknown place",
    "count.times_one": "once",
    "count.times": "{n} times",
    "count.phones_one": "1 phone",
    "count.phones": "{n} phones",
    "duration.under_a_minute": "less than a minute",
    "duration.minute": "1 minute",
    "duration.minutes": "{n} minutes",
    "duration.hours": "{n} hours",
    "duration.days": "{n} days",
    "when.time_and_date": "{time} on {date}",
    "when.unix": "Unix time {seconds}",
}
