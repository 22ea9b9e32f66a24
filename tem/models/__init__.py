"""All ORM models, imported together so relationships resolve without import cycles."""

from tem.models.base import Base
from tem.models.batch import Batch, Event
from tem.models.key import Endorsement, KeyPurpose, Revocation, SigningKey
from tem.models.organization import ApiToken, Organization, Role
from tem.models.product import Product
from tem.models.scan import Alert, AlertKind, AlertStatus, Report, ReportStatus, Scan, ScanKind
from tem.models.stamp import PrintRun, RunStatus, Stamp, StampStatus

__all__ = [
    "Alert",
    "AlertKind",
    "AlertStatus",
    "ApiToken",
    "Base",
    "Batch",
    "Endorsement",
    "Event",
    "KeyPurpose",
    "Organization",
    "PrintRun",
    "Product",
    "Report",
    "ReportStatus",
    "Revocation",
    "Role",
    "RunStatus",
    "Scan",
    "ScanKind",
    "SigningKey",
    "Stamp",
    "StampStatus",
]
