"""Batch labels: the QR code (:mod:`tem.labels.qr`) and the label (:mod:`tem.labels.render`)."""

from tem.labels.qr import ERROR_LEVEL, MAX_QR_VERSION, MAX_URL_LENGTH, make_qr
from tem.labels.render import LabelContent, label_png, label_svg

__all__ = [
    "ERROR_LEVEL",
    "MAX_QR_VERSION",
    "MAX_URL_LENGTH",
    "LabelContent",
    "label_png",
    "label_svg",
    "make_qr",
]
