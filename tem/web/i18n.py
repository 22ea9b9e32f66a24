"""Languages of the public pages: choosing one, translated strings, dates and numbers.

Vietnamese is the default; English is the other supported language. Strings are
plain text: the templates escape them, so no translation may contain HTML.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

SUPPORTED = ("vi", "en")
DEFAULT = "vi"

# Times the service itself produces (checked_at, signing windows) are shown in
# Vietnam's time zone; event times keep the offset they were recorded with.
VIETNAM_TIME = timezone(timedelta(hours=7))

# Accept-Language is short in practice; a pathological header is cut rather than parsed whole.
_MAX_ACCEPT_LANGUAGE = 1000
_MAX_LANGUAGE_RANGES = 30
# RFC 9110 §12.4.2: qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )
_QVALUE = re.compile(r"(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)")
_LANGUAGE_RANGE = re.compile(r"(?:[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*|\*)")

_EN_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def pick_language(query_lang: str | None, accept_language: str | None) -> str:
    """The page language: ``?lang=`` when it names a supported language, else the
    browser's preference (``Accept-Language``, RFC 9110 §12.5.4), else Vietnamese.

    Never raises: an unsupported or malformed value is ignored.
    """
    if query_lang is not None:
        wanted = query_lang.strip().lower()
        if wanted in SUPPORTED:
            return wanted
    if not accept_language:
        return DEFAULT
    best: tuple[float, str] | None = None
    ranges = accept_language[:_MAX_ACCEPT_LANGUAGE].split(",")[:_MAX_LANGUAGE_RANGES]
    for item in ranges:
        tag, _, params = item.strip().partition(";")
        tag = tag.strip()
        if not _LANGUAGE_RANGE.fullmatch(tag):
            continue
        quality = _quality(params)
        if quality is None or quality <= 0:
            continue
        # "*" (anything) is served with the default language.
        primary = DEFAULT if tag == "*" else tag.split("-", 1)[0].lower()
        if primary not in SUPPORTED:
            continue
        # Strictly greater: among equal weights the first listed wins.
        if best is None or quality > best[0]:
            best = (quality, primary)
    return best[1] if best is not None else DEFAULT


def _quality(params: str) -> float | None:
    """The q parameter of one language range (1 when absent); None when malformed."""
    quality = 1.0
    for param in params.split(";"):
        name, sep, value = param.strip().partition("=")
        if not sep:
            continue
        if name.strip().lower() == "q":
            value = value.strip()
            if not _QVALUE.fullmatch(value):
                return None
            quality = float(value)
    return quality


def normalize(lang: str | None) -> str:
    """``lang`` if supported, else the default language."""
    return lang if lang in SUPPORTED else DEFAULT


# Reason codes produced by tem.verify.verifier, tem.trace.verification and
# tem.scans.service (the clone rules' names among them), in the words a shopper needs:
# what happened and, where it matters, what to do. A rule's finding is shown in its own
# words (tem.scans.rules.describe); these are for a reason that comes without one.
REASON_CODES = (
    "malformed_token",
    "unknown_key",
    "bad_signature",
    "outside_signing_window",
    "verification_window_ended",
    "key_revoked",
    "issued_in_future",
    "record_not_found",
    "malformed_record",
    "record_signature_invalid",
    "record_mismatch",
    "chain_gap",
    "chain_broken",
    "chain_unverifiable",
    "chain_foreign_event",
    "stamp_batch_mismatch",
    "key_leak",
    "void",
    "recalled",
    "too_many_scans",
    "too_many_sessions",
    "impossible_travel",
)

# Message keys for render_error_page.
ERROR_KEYS = (
    "error.bad_request",
    "error.not_found",
    "error.rate_limited",
    "error.server",
    "error.unavailable",
)

_VI: dict[str, str] = {
    "site.name": "Tem",
    "site.tagline": "Truy xuất nguồn gốc sản phẩm OCOP",
    "lang.switch": "English",
    "lang.switch_label": "Xem trang này bằng tiếng Anh",
    "nav.home": "Tem là gì?",
    # Verdict banners.
    "verdict.genuine.title": "Hồ sơ chính hãng",
    "verdict.genuine.by": "Bản ghi được ký bởi {signer}, được {authority} xác nhận.",
    "verdict.genuine.caveat": (
        "Chữ ký số chứng minh thông tin dưới đây do {signer} công bố và chưa bị sửa đổi. "
        "Nó không chứng minh riêng sản phẩm bạn đang cầm là hàng thật, vì mã QR có thể bị "
        "sao chép: hãy xem bao bì còn nguyên vẹn và đúng với mô tả dưới đây."
    ),
    "verdict.invalid.title": "Mã không hợp lệ",
    "verdict.invalid.lead": "Không xác minh được mã này. Lý do:",
    "verdict.revoked.title": "Khóa ký đã bị thu hồi",
    "verdict.revoked.lead": (
        "Khóa ký số của {signer} đã bị {authority} thu hồi trước khi mã này được ký, "
        "nên mã không còn đáng tin."
    ),
    "verdict.revoked.lead_anonymous": (
        "Khóa ký số của mã này đã bị thu hồi trước khi mã được ký, nên mã không còn đáng tin."
    ),
    "verdict.unknown_key.title": "Không rõ người ký",
    "verdict.unknown_key.lead": (
        "Mã này được ký bằng một khóa mà không cơ quan tin cậy nào xác nhận. "
        "Nhiều khả năng đây là hàng giả."
    ),
    "verdict.other.title": "Không xác minh được",
    "verdict.other.lead": "Hệ thống không xác minh được mã này.",
    "verdict.suspect.title": "Cảnh báo: mã này có thể đã bị sao chép",
    "verdict.suspect.lead": (
        "Hồ sơ của {signer} là thật, nhưng riêng tem này đã được quét theo cách mà một tem "
        "bị sao chép thường bị quét:"
    ),
    "verdict.suspect.lead_anonymous": (
        "Hồ sơ là thật, nhưng riêng tem này đã được quét theo cách mà một tem bị sao chép "
        "thường bị quét:"
    ),
    "verdict.suspect.caveat": (
        "Điều này chưa chứng minh sản phẩm là hàng giả (ví dụ, hàng trưng bày được nhiều "
        "người quét), nhưng hãy cẩn thận trước khi mua hoặc sử dụng."
    ),
    "verdict.recalled.title": "Lô hàng đã bị thu hồi",
    "verdict.void.title": "Tem đã bị hủy",
    "verdict.void.on": "Tem này đã bị hủy ngày {date}.",
    "verdict.void.undated": "Tem này đã bị hủy.",
    "verdict.void.lead": (
        "Tem đã bị hủy không còn chứng nhận cho sản phẩm nào. Tem bị hủy khi bị mất, bị đánh "
        "cắp, in hỏng hoặc bị phát hiện sao chép."
    ),
    "verdict.key_leak.title": "Mã giả: chữ ký hợp lệ nhưng tem này chưa từng được phát hành",
    "verdict.key_leak.lead": (
        "Chữ ký số trên tem khớp với khóa ký của {signer}, nhưng {signer} chưa bao giờ phát "
        "hành tem mang số sê-ri này. Điều đó nghĩa là khóa ký đã bị lộ và có người đang dùng "
        "nó để làm tem giả."
    ),
    "verdict.key_leak.lead_anonymous": (
        "Chữ ký số trên tem hợp lệ, nhưng tem mang số sê-ri này chưa bao giờ được phát hành. "
        "Điều đó nghĩa là khóa ký đã bị lộ và có người đang dùng nó để làm tem giả."
    ),
    "verdict.key_leak.act": (
        "Đừng mua hoặc sử dụng sản phẩm này. Hãy báo ngay bằng mẫu bên dưới và báo cho cơ "
        "quan quản lý thị trường nơi bạn thấy sản phẩm."
    ),
    "recall.on": "Lô hàng này đã bị thu hồi ngày {date}.",
    "recall.undated": "Lô hàng này đã bị thu hồi.",
    "recall.reason": "Lý do: {reason}",
    "recall.advice": (
        "Đừng sử dụng sản phẩm này; hãy mang trả lại nơi bán hoặc liên hệ nhà sản xuất."
    ),
    "advice.title": "Bạn nên làm gì?",
    "advice.dont_trust": "Đừng tin sản phẩm này chỉ vì nó có mã QR.",
    "advice.ask_seller": "Hỏi người bán về nguồn gốc hàng và xin hóa đơn, chứng từ.",
    "advice.report_authority": (
        "Báo cho {authority} hoặc cơ quan quản lý thị trường nơi bạn mua hàng."
    ),
    "advice.report_generic": (
        "Báo cho cơ quan quản lý thị trường nơi bạn mua hàng, hoặc Hội đồng OCOP của tỉnh."
    ),
    "advice.contact_producer": "Hỏi trực tiếp nhà sản xuất {producer}: {phone}.",
    "advice.check_packaging": (
        "Xem kỹ bao bì: tem có bị in mờ, dán đè lên tem khác, bóc ra dán lại, hoặc bao bì "
        "khác với ảnh sản phẩm không?"
    ),
    "advice.report_form": "Báo cho chúng tôi bằng mẫu “Báo cáo nghi ngờ hàng giả” bên dưới.",
    "advice.recalled_stop": "Đừng sử dụng sản phẩm này.",
    "advice.recalled_return": "Mang trả lại nơi bán, hoặc hỏi nhà sản xuất về việc đổi trả.",
    "notice.unverified_details": (
        "Thông tin dưới đây là những gì đã được ký số, nhưng mã không qua được kiểm tra: "
        "đừng dựa vào đó để tin sản phẩm."
    ),
    "notice.batch_expired": "Lô hàng này đã hết hạn sử dụng từ {date}.",
    "notice.ocop_expired": "Chứng nhận OCOP của sản phẩm đã hết hạn từ {date}.",
    "notice.record_not_item": (
        "Thông tin dưới đây là hồ sơ thật của lô hàng mà tem này được cấp cho, nhưng chưa "
        "chắc sản phẩm bạn đang cầm thuộc lô đó."
    ),
    "notice.rate_limited": "Bạn quét quá nhanh; lượt quét này chưa được ghi lại.",
    "notice.official_site": (
        "Trang kiểm tra chính thức nằm ở địa chỉ {host}. Nếu thanh địa chỉ trình duyệt "
        "hiện tên khác, đừng tin trang này."
    ),
    # Reasons.
    "reason.malformed_token": (
        "Mã bị hỏng hoặc không phải mã Tem: có thể mã bị cắt mất một phần, in mờ hoặc gõ sai. "
        "Hãy quét lại; nếu vẫn lỗi, đừng tin mã này."
    ),
    "reason.unknown_key": (
        "Mã được ký bằng một khóa mà không cơ quan tin cậy nào xác nhận. "
        "Nhiều khả năng đây là hàng giả."
    ),
    "reason.bad_signature": "Chữ ký số không khớp: mã đã bị sửa hoặc bị làm giả.",
    "reason.outside_signing_window": (
        "Chữ ký được tạo vào lúc khóa ký không có quyền ký (trước khi được cấp hoặc sau khi "
        "hết hạn ký)."
    ),
    "reason.verification_window_ended": (
        "Khóa ký đã hết thời hạn được chấp nhận, nên chữ ký này không còn được công nhận."
    ),
    "reason.key_revoked": (
        "Khóa ký đã bị cơ quan xác nhận thu hồi trước khi chữ ký này được tạo "
        "(thường do khóa bị mất hoặc bị lộ)."
    ),
    "reason.issued_in_future": (
        "Thời điểm ký ghi ở tương lai, điều mà một chữ ký thật không thể có."
    ),
    "reason.record_not_found": (
        "Chữ ký hợp lệ nhưng hệ thống không có lô hàng này: có thể ai đó đã đánh cắp khóa ký "
        "để làm mã giả. Hãy báo ngay cho cơ quan chức năng."
    ),
    "reason.malformed_record": "Hồ sơ lưu trữ bị hỏng, không đọc được.",
    "reason.record_signature_invalid": (
        "Hồ sơ lưu trữ không còn khớp với chữ ký số: nó đã bị sửa sau khi ký."
    ),
    "reason.record_mismatch": (
        "Dữ liệu lưu trữ không còn khớp với bản đã ký: hồ sơ đã bị sửa đổi sau khi ký."
    ),
    "reason.chain_gap": "Hành trình bị đứt đoạn: một bước đã bị xóa hoặc bị đổi thứ tự.",
    "reason.chain_broken": (
        "Bước này không nối tiếp bước trước nó: lịch sử hành trình đã bị sửa đổi."
    ),
    "reason.chain_unverifiable": (
        "Không đọc được bước này nên không kiểm tra được phần hành trình sau nó."
    ),
    "reason.chain_foreign_event": "Hành trình có một bước thuộc về lô hàng khác.",
    "reason.stamp_batch_mismatch": (
        "Lô hàng lưu trữ của tem không còn khớp với chữ ký số: hồ sơ đã bị sửa đổi."
    ),
    "reason.key_leak": (
        "Chữ ký hợp lệ nhưng số sê-ri của tem chưa từng được phát hành: khóa ký đã bị lộ. "
        "Đây là tem giả."
    ),
    "reason.void": "Tem này đã bị hủy.",
    "reason.recalled": "Lô hàng chứa sản phẩm này đã bị thu hồi.",
    "reason.too_many_scans": (
        "Tem này đã được quét nhiều lần hơn hẳn một tem thật thường được quét."
    ),
    "reason.too_many_sessions": "Tem này đã được quét bởi nhiều điện thoại hơn bình thường.",
    "reason.impossible_travel": (
        "Tem này được quét ở hai nơi quá xa nhau so với thời gian giữa hai lần quét."
    ),
    "reason.stage_prefix": "Bước {n}: {text}",
    "reason.batch_prefix": "Hồ sơ lô hàng: {text}",
    "reason.details": "Chi tiết kỹ thuật",
    # Product.
    "product.title": "Sản phẩm",
    "product.name": "Tên sản phẩm",
    "product.image_link": "Xem ảnh sản phẩm",
    "product.image_alt": "Ảnh sản phẩm {name}",
    "product.no_image": "Chưa có ảnh sản phẩm",
    "product.category": "Loại sản phẩm",
    "product.description": "Mô tả",
    "product.ingredients": "Thành phần",
    "product.standards": "Tiêu chuẩn áp dụng",
    "product.shelf_life": "Hạn sử dụng",
    "product.shelf_life_days": "{days} ngày kể từ ngày sản xuất",
    "product.gtin": "Mã số mã vạch (GTIN)",
    "product.code": "Mã sản phẩm",
    "product.none": "Không có",
    "ocop.title": "Chứng nhận OCOP",
    "ocop.stars": "OCOP {stars} sao",
    "ocop.certificate": "Số giấy chứng nhận",
    "ocop.council": "Hội đồng đánh giá",
    "ocop.awarded": "Ngày công nhận",
    "ocop.expires": "Có hiệu lực đến",
    # Producer.
    "producer.title": "Nhà sản xuất",
    "producer.name": "Tên",
    "producer.address": "Địa chỉ",
    "producer.phone": "Điện thoại",
    "producer.email": "Thư điện tử",
    # Batch.
    "batch.title": "Lô hàng",
    "batch.lot_code": "Số lô",
    "batch.trace_code": "Mã truy xuất",
    "batch.quantity": "Số lượng",
    "batch.production_date": "Ngày sản xuất",
    "batch.expiry_date": "Hạn sử dụng",
    "batch.origin": "Vùng nguyên liệu",
    "batch.signed_at": "Ngày ký hồ sơ",
    "batch.recalled": "Thu hồi",
    "batch.recalled_on": "Đã thu hồi ngày {date}",
    "batch.recalled_yes": "Đã thu hồi",
    # Stamp.
    "stamp.title": "Tem số",
    "stamp.serial": "Số sê-ri",
    "stamp.number": "Thứ tự trong đợt in",
    "stamp.number_value": "Tem thứ {n}",
    "stamp.status": "Trạng thái",
    "stamp.active": "Còn hiệu lực",
    "stamp.void": "Đã hủy",
    "stamp.void_on": "Đã hủy ngày {date}",
    "stamp.scans": "Số lần quét",
    "stamp.scans_none": "Chưa được quét lần nào.",
    "stamp.scans_first": "Đây là lần đầu tiên tem này được quét.",
    "stamp.scans_one": "Đã được quét 1 lần{this}",
    "stamp.scans_many": "Đã được quét {count} lần{this}",
    "stamp.including_this": " (kể cả lần này)",
    "stamp.first_since": ", lần đầu {since}.",
    "stamp.only_since": ", vào {since}.",
    "stamp.since_today": "hôm nay",
    "stamp.since_day": "ngày {date}",
    "stamp.normal": (
        "Một tem thật thường chỉ được quét vài lần: khi bán và khi người mua kiểm tra. "
        "Nếu con số trên lớn bất thường, hãy cẩn thận."
    ),
    # Sharing the province of a scan.
    "share.question": "Giúp phát hiện hàng giả: bạn đang ở tỉnh/thành nào?",
    "share.choose": "— chọn —",
    "share.optional": (
        "Không bắt buộc. Chỉ tên tỉnh/thành được lưu lại, không lưu vị trí chính xác hay "
        "thông tin nào về bạn. Nó giúp thanh tra viên biết mã được quét ở đâu và phát hiện "
        "mã bị sao chép."
    ),
    "share.submit": "Gửi",
    "share.thanks": "Cảm ơn! Đã ghi nhận: {place}",
    # Counterfeit reports.
    "report.title": "Báo cáo nghi ngờ hàng giả",
    "report.intro": (
        "Nếu bạn nghi sản phẩm này là hàng giả, hãy cho chúng tôi biết. Thanh tra viên và cơ "
        "quan quản lý sẽ xem báo cáo của bạn."
    ),
    "report.problem": "Bạn thấy điều gì bất thường?",
    "report.problem_hint": (
        "Ví dụ: tem bị dán đè, giá rẻ bất thường, mùi vị khác lạ. Từ 5 đến 2.000 ký tự."
    ),
    "report.where_bought": "Bạn mua hoặc thấy sản phẩm ở đâu? (không bắt buộc)",
    "report.where_bought_hint": "Tên cửa hàng, chợ hoặc trang bán hàng, và địa chỉ.",
    "report.contact": "Cách liên hệ với bạn (không bắt buộc)",
    "report.contact_hint": (
        "Số điện thoại hoặc thư điện tử, nếu bạn muốn được liên hệ lại về báo cáo này."
    ),
    "report.photo": "Ảnh sản phẩm hoặc tem (không bắt buộc)",
    "report.photo_hint": "JPEG, PNG hoặc WebP, tối đa 5 MB.",
    "report.submit": "Gửi báo cáo",
    "report.thanks_title": "Cảm ơn bạn đã báo cáo",
    "report.thanks_lead": "Báo cáo của bạn đã được gửi. Thanh tra viên sẽ xem xét.",
    "report.reference": "Mã báo cáo",
    "report.reference_hint": "Hãy giữ mã này nếu bạn muốn hỏi lại về báo cáo.",
    "report.back": "Quay lại trang kiểm tra",
    "report.error_title": "Báo cáo chưa được gửi",
    "report.error_lead": "Báo cáo chưa được nhận vì:",
    "report.error_retry": "Hãy sửa lại và gửi lần nữa bằng mẫu dưới đây.",
    "status.expired": "đã hết hạn",
    "status.valid_until": "còn hạn",
    "place.coordinates": "Tọa độ: {lat}, {lon}",
    "place.open_map": "Mở trong ứng dụng bản đồ",
    # Journey.
    "journey.title": "Hành trình sản phẩm",
    "journey.empty": "Chưa có bước nào được ghi lại.",
    "journey.stage": "Bước {n}",
    "journey.time": "Thời gian",
    "journey.place": "Địa điểm",
    "journey.actor": "Người thực hiện",
    "journey.notes": "Ghi chú",
    "journey.trace_code": "Mã truy xuất",
    "journey.unreadable": "Không đọc được nội dung đã ký của bước này.",
    "event.harvesting": "Thu hoạch",
    "event.processing": "Chế biến",
    "event.packing": "Đóng gói",
    "event.shipping": "Vận chuyển",
    "event.receiving": "Nhận hàng",
    "event.inspecting": "Kiểm tra chất lượng",
    "event.custom": "Công đoạn khác",
    "record.valid": "✓ Đã ký số",
    "record.tampered": "✗ Bị sửa đổi",
    "record.invalid": "✗ Không hợp lệ",
    "record.revoked": "⚠ Khóa ký bị thu hồi",
    "record.unknown": "? Chưa rõ",
    # Signature.
    "signature.title": "Chữ ký số",
    "signature.signer": "Người ký",
    "signature.key_id": "Mã khóa ký",
    "signature.endorsed_by": "Được xác nhận bởi",
    "signature.authority_key_id": "Mã khóa của cơ quan xác nhận",
    "signature.sign_window": "Được phép ký",
    "signature.verify_until": "Chữ ký được công nhận đến",
    "signature.window": "{start} – {end}",
    "signature.issued_at": "Mã được ký lúc",
    "signature.batch_id": "Mã định danh lô",
    "signature.checked_at": "Kiểm tra lúc",
    "signature.token": "Mã đã quét",
    "signature.none": "Không có chữ ký số hợp lệ.",
    # Error pages.
    "error.title": "Lỗi {status}",
    "error.bad_request": "Yêu cầu không hợp lệ. Hãy kiểm tra lại đường link.",
    "error.not_found": (
        "Không tìm thấy trang này. Nếu bạn gõ địa chỉ bằng tay, hãy kiểm tra lại; "
        "tốt nhất là quét mã QR bằng camera."
    ),
    "error.rate_limited": (
        "Bạn đã kiểm tra quá nhiều lần trong thời gian ngắn. Vui lòng đợi một phút rồi thử lại."
    ),
    "error.server": "Hệ thống đang gặp sự cố. Vui lòng thử lại sau ít phút.",
    "error.unavailable": "Hệ thống đang bảo trì. Vui lòng thử lại sau ít phút.",
    "error.generic": "Đã có lỗi xảy ra. Vui lòng thử lại sau.",
    "error.back_home": "Về trang chủ",
    # Home page.
    "home.title": "Tem: kiểm tra nguồn gốc sản phẩm OCOP",
    "home.intro": (
        "Tem giúp bạn biết một sản phẩm OCOP do ai làm ra, ở đâu, khi nào, và thông tin "
        "đó có phải do chính hợp tác xã công bố hay không."
    ),
    "home.how_title": "Cách kiểm tra",
    "home.how_1": "Mở camera điện thoại và hướng vào mã QR trên tem của sản phẩm.",
    "home.how_2": "Chạm vào đường link hiện ra. Không cần cài ứng dụng.",
    "home.how_3": "Đọc kết quả ở đầu trang: màu xanh là hồ sơ chính hãng, màu đỏ là có vấn đề.",
    "home.shows_title": "Trang kết quả cho biết",
    "home.shows_1": "Hồ sơ có được ký bởi hợp tác xã và được cơ quan có thẩm quyền xác nhận không.",
    "home.shows_2": "Tên, ảnh, thành phần, tiêu chuẩn áp dụng, hạn sử dụng và hạng sao OCOP.",
    "home.shows_3": "Nhà sản xuất, số lô, ngày sản xuất và hành trình từ vùng nguyên liệu.",
    "home.limits_title": "Điều cần biết",
    "home.limits": (
        "Chữ ký số chứng minh ai đã công bố thông tin và thông tin chưa bị sửa. Mã QR có thể "
        "bị sao chép, nên hãy luôn xem bao bì và mua ở nơi tin cậy. Nếu trang báo màu đỏ, "
        "đừng tin sản phẩm và hãy báo cho cơ quan quản lý thị trường."
    ),
}

_EN: dict[str, str] = {
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
    "verdict.other.title": "Could not verify",
    "verdict.other.lead": "The service could not verify this code.",
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
    "recall.undated": "This batch has been recalled.",
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
    "product.name": "Product name",
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
    "batch.recalled_yes": "Recalled",
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
    "stamp.normal": (
        "A genuine stamp is normally scanned only a few times: when it is sold and when its "
        "buyer checks it. If the number above is unusually large, be careful."
    ),
    "share.question": "Help catch fakes: which province or city are you in?",
    "share.choose": "— choose —",
    "share.optional": (
        "Optional. Only the province is kept: not your exact location, nor anything about "
        "you. It helps inspectors see where codes are scanned and spot copies."
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
    "report.contact_hint": "A phone number or email, if you would like to hear back about it.",
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
    "status.valid_until": "not expired",
    "place.coordinates": "Coordinates: {lat}, {lon}",
    "place.open_map": "Open in a map app",
    "journey.title": "Product journey",
    "journey.empty": "No stages have been recorded yet.",
    "journey.stage": "Stage {n}",
    "journey.time": "Time",
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
    "record.unknown": "? Unknown",
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
    "error.back_home": "Home page",
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
}

STRINGS: dict[str, dict[str, str]] = {"vi": _VI, "en": _EN}


def has(lang: str, key: str) -> bool:
    """Whether ``key`` has a translation in ``lang``."""
    return key in STRINGS[normalize(lang)]


def t(lang: str, key: str, **kwargs: object) -> str:
    """The string ``key`` in ``lang`` with ``{name}`` placeholders filled from ``kwargs``.

    An unsupported ``lang`` means Vietnamese; a key missing in ``lang`` falls back to
    the other language, then to the key itself, so a gap shows rather than crashes.
    """
    lang = normalize(lang)
    text = STRINGS[lang].get(key)
    if text is None:
        text = next((s[key] for s in STRINGS.values() if key in s), key)
    return text.format(**kwargs) if kwargs else text


def parse_date(value: object) -> date | None:
    """A calendar date from ``YYYY-MM-DD`` (or the date part of an ISO datetime)."""
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def parse_datetime(value: object) -> datetime | None:
    """A datetime from ISO 8601 / RFC 3339 text; None when it is not one."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def format_date(value: date | str | None, lang: str) -> str:
    """``2026-03-03`` as ``03/03/2026`` (vi) or ``3 Mar 2026`` (en).

    Text that is not an ISO date is returned unchanged; None gives "".
    """
    if value is None:
        return ""
    day = value if isinstance(value, date) else parse_date(value)
    if day is None:
        return str(value)
    if normalize(lang) == "vi":
        return f"{day.day:02d}/{day.month:02d}/{day.year:04d}"
    return f"{day.day} {_EN_MONTHS[day.month - 1]} {day.year:04d}"


def _offset_text(moment: datetime) -> str:
    offset = moment.utcoffset()
    if offset is None:
        return ""
    minutes = int(offset.total_seconds()) // 60
    sign = "+" if minutes >= 0 else "-"
    hours, minutes = divmod(abs(minutes), 60)
    return f" (UTC{sign}{hours:02d}:{minutes:02d})"


def format_datetime(value: datetime | str | None, lang: str, *, tz: timezone | None = None) -> str:
    """An ISO datetime in the reader's language, in its own offset unless ``tz`` is given.

    vi: ``08:30, 03/03/2026 (UTC+07:00)``; en: ``3 Mar 2026, 08:30 (UTC+07:00)``.
    Text that is not an ISO datetime is returned unchanged; None gives "".
    """
    if value is None:
        return ""
    moment = value if isinstance(value, datetime) else parse_datetime(value)
    if moment is None:
        return str(value)
    if tz is not None and moment.tzinfo is not None:
        moment = moment.astimezone(tz)
    clock = f"{moment.hour:02d}:{moment.minute:02d}"
    day = format_date(moment.date(), lang)
    if normalize(lang) == "vi":
        return f"{clock}, {day}{_offset_text(moment)}"
    return f"{day}, {clock}{_offset_text(moment)}"


def format_number(text: object, lang: str) -> str:
    """A decimal written as text (``"1500"``, ``"12.5"``) with the reader's separators:
    ``1.500`` / ``12,5`` in Vietnamese, ``1,500`` / ``12.5`` in English.

    Anything that is not a plain decimal is returned as given.
    """
    value = str(text) if text is not None else ""
    match = re.fullmatch(r"(-?)(\d+)(?:\.(\d+))?", value)
    if match is None:
        return value
    sign, whole, fraction = match.groups()
    grouped = f"{int(whole):,}"
    if normalize(lang) == "vi":
        grouped = grouped.replace(",", ".")
        return f"{sign}{grouped}" + (f",{fraction}" if fraction else "")
    return f"{sign}{grouped}" + (f".{fraction}" if fraction else "")
