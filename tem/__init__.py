"""Tem: signed product-traceability records, QR labels and stamp verification."""

__version__ = "0.1.0"
