"""/api/v1/batches/{id}/label.svg|png: the batch's QR label."""

from __future__ import annotations

from fastapi import APIRouter, Response

from tem.http.deps import CurrentPrincipal, DbSession, State
from tem.labels.render import label_png, label_svg
from tem.labels.service import label_content
from tem.trace.service import get_batch
from tem.validation import Id, content_disposition

router = APIRouter(tags=["labels"])


@router.get("/batches/{batch_id}/label.svg", responses={200: {"content": {"image/svg+xml": {}}}})
def label_as_svg(
    batch_id: Id, session: DbSession, state: State, principal: CurrentPrincipal
) -> Response:
    """The batch label as SVG (vector QR, product name, OCOP stars, lot code)."""
    batch = get_batch(session, principal, batch_id)
    content = label_content(batch, state.settings.public_url)
    return Response(
        label_svg(content),
        media_type="image/svg+xml",
        headers={
            "Content-Disposition": content_disposition("inline", f"label-{batch.lot_code}.svg")
        },
    )


@router.get("/batches/{batch_id}/label.png", responses={200: {"content": {"image/png": {}}}})
def label_as_png(
    batch_id: Id, session: DbSession, state: State, principal: CurrentPrincipal
) -> Response:
    """The batch label as PNG, 300 dpi."""
    batch = get_batch(session, principal, batch_id)
    content = label_content(batch, state.settings.public_url)
    return Response(
        label_png(content),
        media_type="image/png",
        headers={
            "Content-Disposition": content_disposition("inline", f"label-{batch.lot_code}.png")
        },
    )
