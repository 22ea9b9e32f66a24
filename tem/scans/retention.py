"""How long personal data is kept: the settings' values, checked (docs/privacy.md).

Kept apart from :mod:`tem.scans.privacy` (which does the purge) so that the settings can
import it without importing the database layer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

DEFAULT_SCAN_DETAIL_DAYS: Final = 400
DEFAULT_REPORT_CONTACT_DAYS: Final = 90
MAX_RETENTION_DAYS: Final = 36500  # a hundred years: anything longer is a typing mistake


@dataclass(frozen=True)
class Retention:
    """How long personal data is kept, in days (``Settings.retention()``).

    Raises:
        ValueError: ``scan_detail_days`` is not a whole number from 1 to 36,500, or
            ``report_contact_days`` not one from 0 to 36,500.
    """

    scan_detail_days: int = DEFAULT_SCAN_DETAIL_DAYS
    report_contact_days: int = DEFAULT_REPORT_CONTACT_DAYS

    def __post_init__(self) -> None:
        for name, value, low in (
            ("scan_detail_days", self.scan_detail_days, 1),
            ("report_contact_days", self.report_contact_days, 0),
        ):
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"{name} must be a whole number of days, not {value!r}")
            if not low <= value <= MAX_RETENTION_DAYS:
                raise ValueError(f"{name} must be from {low} to {MAX_RETENTION_DAYS}, not {value}")
