"""Labels for a batch: what goes on them, from the signed batch record."""

from __future__ import annotations

from tem.crypto.statements import StatementType, parse_statement, token_url
from tem.labels.render import LabelContent
from tem.models import Batch
from tem.trace.service import label_token_text


def label_content(batch: Batch, public_url: str) -> LabelContent:
    """The label of ``batch``: its token URL and the facts from its signed record."""
    claims = parse_statement(batch.statement, StatementType.BATCH).claims
    product = claims.get("product") or {}
    ocop = product.get("ocop") or {}
    return LabelContent(
        url=token_url(public_url, label_token_text(batch)),
        product_name=str(product.get("name", "")),
        ocop_stars=ocop.get("stars") if isinstance(ocop.get("stars"), int) else None,
        lot_code=batch.lot_code,
        expiry_date=f"{batch.expiry_date:%d/%m/%Y}",  # the Vietnamese way: 31/12/2027
    )
