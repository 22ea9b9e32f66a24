"""Settings, read once from the environment (``TEM_`` prefix) or passed in by tests."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import secrets
import stat
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, PlainSerializer, PrivateAttr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from tem.errors import ConfigurationError
from tem.http.proxies import TrustedProxies
from tem.scans.retention import (
    DEFAULT_REPORT_CONTACT_DAYS,
    DEFAULT_SCAN_DETAIL_DAYS,
    MAX_RETENTION_DAYS,
    Retention,
)
from tem.scans.rules import Thresholds

# Characters of the QR alphanumeric mode (ISO/IEC 18004 §7.4.4), minus space.
_QR_ALNUM_URL = re.compile(r"HTTPS?://[0-9A-Z$%*+\-./:]+")

# A stamp token is 115 bytes, 184 Base32 characters; "/T/" and the base must leave it
# within the 221 characters QR version 8-M holds in alphanumeric mode: 221 - 184 - 3 = 34.
MAX_PUBLIC_URL = 34

DEMO_PASSPHRASE_FILE = "demo-passphrase.txt"  # noqa: S105 - a file name, not a secret
SESSION_SECRET_FILE = "session.key"  # noqa: S105 - a file name, not a secret
SECRET_BYTES = 32


def load_or_create_secret(path: Path) -> bytes:
    """Read a random secret kept in ``path`` (hex), creating it (0600, in a 0700 dir) if absent.

    Creation is atomic: the secret is written to a temporary file and hard-linked into
    place, which fails if another process got there first; then the file is read back,
    so two workers starting at once agree on one secret.

    Raises:
        ConfigurationError: the file is readable by others or does not hold a secret.
    """
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(path.parent, 0o700)
        temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(SECRET_BYTES) + "\n")
                fh.flush()
                os.fsync(fh.fileno())
            with contextlib.suppress(FileExistsError):
                os.link(temporary, path)
        finally:
            temporary.unlink(missing_ok=True)
    if stat.S_IMODE(path.stat().st_mode) & 0o077:
        raise ConfigurationError(f"{path} is readable by others; run: chmod 600 {path}")
    try:
        value = bytes.fromhex(path.read_text().strip())
    except ValueError:
        value = b""
    if len(value) != SECRET_BYTES:
        raise ConfigurationError(
            f"{path} does not hold a {SECRET_BYTES}-byte secret in hex; delete it to make a new one"
        )
    return value


class Settings(BaseSettings):
    """All configuration. Outside demo mode, a key passphrase is required."""

    model_config = SettingsConfigDict(env_prefix="TEM_", extra="ignore")

    _secret: bytes | None = PrivateAttr(default=None)

    data_dir: Path = Field(
        default=Path("./tem-data"), description="Where keys, the SQLite database and labels live."
    )
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default SQLite in the data dir."
    )
    key_passphrase: str | None = Field(
        default=None, repr=False, description="Encrypts private keys at rest."
    )
    session_secret: str | None = Field(
        default=None,
        repr=False,
        description=(
            "Keys the HMACs of session cookies and client addresses; default: a random "
            "secret in <data dir>/secrets/session.key."
        ),
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
    api_docs: bool = Field(
        default=True,
        description="Serve /docs and /redoc (from the package, never a CDN); the OpenAPI document stays.",
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
    redis_url: str | None = Field(
        default=None,
        repr=False,
        description="Redis URL (redis://host:6379/0): rate limits shared by all workers; "
        "unset, each worker counts in its own memory.",
    )
    metrics_token: str | None = Field(
        default=None,
        repr=False,
        min_length=16,
        description="Bearer token (16+ characters) that GET /metrics requires; unset, /metrics answers 404.",
    )
    log_format: Literal["text", "json"] = Field(
        default="text",
        description="One line per request on stderr: text, or json (one JSON object a line).",
    )
    exports_per_organization: int = Field(
        default=2,
        ge=1,
        le=1000,
        description="Label and stamp-list downloads in progress at once per organization, "
        "per worker.",
    )
    scan_detail_days: int = Field(
        default=DEFAULT_SCAN_DETAIL_DAYS,
        ge=1,
        le=MAX_RETENTION_DAYS,
        description="Days a scan keeps its details (time, browser pseudonym, network hash, "
        "browser family); after them only its day, province and verdict (docs/privacy.md).",
    )
    report_contact_days: int = Field(
        default=DEFAULT_REPORT_CONTACT_DAYS,
        ge=0,
        le=MAX_RETENTION_DAYS,
        description="Days after a report is closed when the shopper's contact and photo are "
        "erased (docs/privacy.md).",
    )
    privacy_purge_daily: bool = Field(
        default=True,
        description="Each server worker runs `tem privacy purge` once a day; off, run it "
        "from cron instead.",
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

    @property
    def secrets_dir(self) -> Path:
        return self.data_dir / "secrets"

    def retention(self) -> Retention:
        """How long personal data is kept (docs/privacy.md)."""
        return Retention(self.scan_detail_days, self.report_contact_days)

    def secret(self) -> bytes:
        """The server secret for HMACs of session cookies and client addresses (32 bytes).

        ``TEM_SESSION_SECRET`` when set (every worker on every machine must share it);
        otherwise ``<data dir>/secrets/session.key``, created at random on first use.
        Independent of the key passphrase: a pseudonym computed with it says nothing
        about the passphrase. Read once per ``Settings``.

        Raises:
            ConfigurationError: the setting is too short, or the file is unsafe or damaged.
        """
        if self._secret is None:
            self._secret = self._read_secret()
        return self._secret

    def _read_secret(self) -> bytes:
        if self.session_secret is not None:
            if len(self.session_secret) < 32:
                raise ConfigurationError(
                    "TEM_SESSION_SECRET must be at least 32 characters long (see docs/deploy.md)"
                )
            return hashlib.sha256(b"tem/session/v1\x00" + self.session_secret.encode()).digest()
        return load_or_create_secret(self.secrets_dir / SESSION_SECRET_FILE)

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
        self.data_dir.mkdir(parents=True, exist_ok=True)
        secret = secrets.token_urlsafe(24)
        path.touch(mode=0o600)
        path.write_text(secret + "\n")
        return secret.encode()
