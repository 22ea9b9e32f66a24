"""Settings, read once from the environment (``TEM_`` prefix) or passed in by tests."""

from __future__ import annotations

import hashlib
import re
from functools import cached_property
from pathlib import Path
from typing import Annotated

from pydantic import BeforeValidator, Field, PlainSerializer, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from tem.errors import ConfigurationError
from tem.http.proxies import TrustedProxies
from tem.scans.rules import Thresholds

# Characters of the QR alphanumeric mode (ISO/IEC 18004 §7.4.4), minus space.
_QR_ALNUM_URL = re.compile(r"HTTPS?://[0-9A-Z$%*+\-./:]+")

# A stamp token is 115 bytes, 184 Base32 characters; "/T/" and the base must leave it
# within the 221 characters QR version 8-M holds in alphanumeric mode: 221 - 184 - 3 = 34.
MAX_PUBLIC_URL = 34

DEMO_PASSPHRASE_FILE = "demo-passphrase.txt"  # noqa: S105 - a file name, not a secret


class Settings(BaseSettings):
    """All configuration. Outside demo mode, a key passphrase is required."""

    model_config = SettingsConfigDict(env_prefix="TEM_", extra="ignore")

    data_dir: Path = Field(
        default=Path("./tem-data"), description="Where keys, the SQLite database and labels live."
    )
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default SQLite in the data dir."
    )
    key_passphrase: str | None = Field(
        default=None, repr=False, description="Encrypts private keys at rest."
    )
    public_url: str = Field(
        default="http://127.0.0.1:8000", description="Base URL printed in QR codes."
    )
    demo: bool = Field(
        default=False, description="Demo mode: generate a passphrase if none is given."
    )
    trusted_proxies: Annotated[
        TrustedProxies, NoDecode, BeforeValidator(TrustedProxies.parse), PlainSerializer(str)
    ] = Field(
        default=TrustedProxies(),
        description=(
            "Peers whose X-Forwarded-For is believed: off (default), a comma-separated list "
            "of proxy addresses/networks, or true for any peer (see docs/deploy.md)."
        ),
    )
    clone_max_scans: int = Field(
        default=25, ge=1, description="Public scans of one stamp before it is suspect."
    )
    clone_max_sessions: int = Field(
        default=6, ge=1, description="Distinct browsers before a stamp is suspect."
    )
    clone_max_speed_kmh: float = Field(
        default=300.0, gt=0, description="Faster travel between scans is a copy."
    )
    scan_rate_per_minute: int = Field(
        default=60, ge=1, description="Recorded public scans per client per minute."
    )
    reports_per_hour: int = Field(
        default=5, ge=1, description="Counterfeit reports per client per hour."
    )
    reports_global_per_hour: int = Field(
        default=300, ge=1, description="Counterfeit reports per hour, all clients."
    )

    @field_validator("public_url")
    @classmethod
    def _public_url_fits_qr(cls, value: str) -> str:
        url = value.rstrip("/").upper()
        if not _QR_ALNUM_URL.fullmatch(url):
            raise ValueError(
                "TEM_PUBLIC_URL must be an http(s) URL using only letters, digits and $%*+-./: "
                "(no query string, no underscore), so that a QR code holds it in alphanumeric mode"
            )
        if len(url) > MAX_PUBLIC_URL:
            raise ValueError(
                f"TEM_PUBLIC_URL must be at most {MAX_PUBLIC_URL} characters so that stamps fit QR version 8"
            )
        return value.rstrip("/")

    @cached_property
    def resolved_database_url(self) -> str:
        if self.database_url:
            url = self.database_url
            if url.startswith("postgresql://") or url.startswith("postgres://"):
                url = "postgresql+psycopg://" + url.split("://", 1)[1]
            return url
        return f"sqlite:///{(self.data_dir / 'tem.db').resolve()}"

    @property
    def keys_dir(self) -> Path:
        return self.data_dir / "keys"

    @property
    def labels_dir(self) -> Path:
        return self.data_dir / "labels"

    def thresholds(self) -> Thresholds:
        """The clone-detection thresholds (docs/clone-rules.md)."""
        return Thresholds(
            max_scans=self.clone_max_scans,
            max_sessions=self.clone_max_sessions,
            max_speed_kmh=self.clone_max_speed_kmh,
        )

    def secret(self) -> bytes:
        """A server secret for HMACs of session cookies and client addresses.

        Derived from the key passphrase, so every worker agrees without another setting.
        """
        return hashlib.sha256(b"tem/hmac/v1\x00" + self.passphrase()).digest()

    def passphrase(self) -> bytes:
        """The key passphrase; in demo mode, read or create one in the data directory.

        Raises:
            ConfigurationError: outside demo mode when ``TEM_KEY_PASSPHRASE`` is unset or weak.
        """
        if self.key_passphrase:
            if len(self.key_passphrase) < 12 and not self.demo:
                raise ConfigurationError("TEM_KEY_PASSPHRASE must be at least 12 characters long")
            return self.key_passphrase.encode()
        if not self.demo:
            raise ConfigurationError(
                "TEM_KEY_PASSPHRASE is not set: it encrypts the private signing keys. "
                "Set it to a long random secret (see docs/deploy.md)."
            )
        path = self.data_dir / DEMO_PASSPHRASE_FILE
        if path.exists():
            return path.read_text().strip().encode()
        import secrets

        self.data_dir.mkdir(parents=True, exist_ok=True)
        secret = secrets.token_urlsafe(24)
        path.touch(mode=0o600)
        path.write_text(secret + "\n")
        return secret.encode()
