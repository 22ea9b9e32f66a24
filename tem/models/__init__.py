"""All ORM models, imported together so relationships resolve without import cycles."""

from tem.models.base import Base
from tem.models.batch import Batch, Event
from tem.models.key import Endorsement, KeyPurpose, Revocation, SigningKey
from tem.models.organization import ApiToken, Organization, Role
from tem.models.product import Product

__all__ = [
    "ApiToken",
    "Base",
    "Batch",
    "Endorsement",
    "Event",
    "KeyPurpose",
    "Organization",
    "Product",
    "Revocation",
    "Role",
    "SigningKey",
]
