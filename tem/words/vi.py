"""Vietnamese, the first language: every sentence a shopper or operator reads.

Plain text (the templates escape it, so no entry may contain HTML) with ``{name}``
placeholders; :mod:`tem.words.en` has the same keys with the same placeholders.
"""

from __future__ import annotations

from typing import Final

WORDS: Final[dict[str, str]] = {
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
    "stamp.reviewed": (
        "Cơ quan quản lý đã kiểm tra lịch sử quét của tem này ngày {date}; chỉ những lần quét sau đó được dùng để phát hiện tem bị sao chép."
    ),
    "stamp.normal": (
        "Một tem thật thường chỉ được quét vài lần: khi bán và khi người mua kiểm tra. "
        "Nếu con số trên lớn bất thường, hãy cẩn thận."
    ),
    # Sharing the province of a scan.
    "share.question": "Giúp phát hiện hàng giả: bạn đang ở tỉnh/thành nào?",
    "share.choose": "— chọn —",
    "share.optional": (
        "Không bắt buộc. Chỉ tên tỉnh/thành được lưu lại, không bao giờ lưu vị trí chính xác, "
        "tên hay số điện thoại của bạn. Nó giúp thanh tra viên biết mã được quét ở đâu và "
        "phát hiện mã bị sao chép."
    ),
    "share.kept": (
        "Mỗi lần quét được lưu cùng thời điểm quét, tên trình duyệt và hệ điều hành của điện "
        "thoại (như Chrome, Android) và mã ẩn danh của trình duyệt này và mạng của bạn, không "
        "bao giờ lưu địa chỉ IP. Sau {days} ngày chỉ còn giữ ngày quét, tỉnh/thành và kết quả "
        "kiểm tra."
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
        "Số điện thoại hoặc thư điện tử, nếu bạn muốn được liên hệ lại về báo cáo này. Chỉ "
        "thanh tra viên xem được, và thông tin này sẽ bị xóa sau khi báo cáo được khép lại."
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
    "place.coordinates": "Tọa độ: {lat}, {lon}",
    # Journey.
    "journey.title": "Hành trình sản phẩm",
    "journey.empty": "Chưa có bước nào được ghi lại.",
    "journey.stage": "Bước {n}",
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
    # Clone-rule findings (tem.scans.wording), built from a finding's evidence. The
    # pieces ("rule.on", "rule.reason", ...) carry their own leading space or punctuation.
    "rule.key_leak": (
        "Số sê-ri của tem này chưa từng được phát hành nhưng chữ ký vẫn hợp lệ: "
        "khóa ký có lẽ đã bị lộ. Hãy coi sản phẩm này là hàng giả."
    ),
    "rule.void": "Tem này đã bị hủy{on}{reason}{after}.",
    "rule.void.after": " và đã được quét {times} kể từ đó",
    "rule.recalled": "Lô hàng chứa sản phẩm này đã bị thu hồi{on}{reason}.",
    "rule.too_many_scans": "Đã được quét {times} bởi {phones}{since}{first_place}.",
    "rule.too_many_sessions": (
        "Đã được quét bởi {sessions} điện thoại khác nhau (tổng cộng {scans} lần)"
        "{since}{first_place}."
    ),
    "rule.impossible_travel": (
        "Được quét ở {origin} lúc {when}, rồi ở {destination} {gap} sau, cách {distance} km: "
        "quá xa để cùng một tem di chuyển trong thời gian đó."
    ),
    "rule.on": " ngày {date}",
    "rule.reason": " (lý do: {reason})",
    "rule.since": " kể từ {date}",
    "rule.first_place": "; lần đầu ở {place}",
    "rule.unknown_place": "một nơi không rõ",
    # Counts, durations and moments inside sentences.
    "count.times_one": "1 lần",
    "count.times": "{n} lần",
    "count.phones_one": "1 điện thoại",
    "count.phones": "{n} điện thoại",
    "duration.under_a_minute": "chưa đầy 1 phút",
    "duration.minute": "1 phút",
    "duration.minutes": "{n} phút",
    "duration.hours": "{n} giờ",
    "duration.days": "{n} ngày",
    "when.time_and_date": "{time} ngày {date}",
    "when.unix": "thời điểm Unix {seconds}",
}
