"""Private keys on disk: one PKCS#8 PEM file per key, encrypted with the passphrase, mode 0600.

The passphrase comes from ``TEM_KEY_PASSPHRASE`` (see :class:`tem.config.Settings`).
Nothing here logs or returns private key material; errors say what to fix
without echoing any secret.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from tem.errors import KeyStoreError


class KeyStore:
    """Encrypted private keys in a directory (mode 0700; files 0600)."""

    def __init__(self, directory: Path, passphrase: bytes) -> None:
        self._dir = directory
        self._passphrase = passphrase
        self._cache: dict[str, ed25519.Ed25519PrivateKey] = {}

    def __repr__(self) -> str:  # never show the passphrase, even in a debugger
        return f"KeyStore({str(self._dir)!r})"

    def _ensure_dir(self) -> None:
        self._dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(self._dir, 0o700)

    def generate(self) -> tuple[str, ed25519.Ed25519PrivateKey]:
        """Create a new Ed25519 key, write it encrypted, and return (store name, key)."""
        self._ensure_dir()
        key = ed25519.Ed25519PrivateKey.generate()
        name = f"{secrets.token_hex(8)}.pem"
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(self._passphrase),
        )
        path = self._dir / name
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(pem)
            fh.flush()
            os.fsync(fh.fileno())
        self._cache[name] = key
        return name, key

    def load(self, name: str) -> ed25519.Ed25519PrivateKey:
        """Decrypt and return the key stored under ``name``.

        Raises:
            KeyStoreError: when the file is missing, readable by others, or the
                passphrase is wrong.
        """
        cached = self._cache.get(name)
        if cached is not None:
            return cached
        if "/" in name or name.startswith("."):
            raise KeyStoreError("invalid key file name")
        path = self._dir / name
        try:
            mode = stat.S_IMODE(path.stat().st_mode)
            data = path.read_bytes()
        except FileNotFoundError as exc:
            raise KeyStoreError(
                f"private key file {path} is missing; restore it from a backup"
            ) from exc
        if mode & 0o077:
            raise KeyStoreError(
                f"private key file {path} is readable by others; run: chmod 600 {path}"
            )
        try:
            key = serialization.load_pem_private_key(data, password=self._passphrase)
        except (ValueError, TypeError) as exc:
            raise KeyStoreError(
                "cannot decrypt a private key: TEM_KEY_PASSPHRASE is not the one the keys were made with"
            ) from exc
        if not isinstance(key, ed25519.Ed25519PrivateKey):
            raise KeyStoreError(f"private key file {path} does not hold an Ed25519 key")
        self._cache[name] = key
        return key

    def discard(self, name: str) -> None:
        """Remove a key file written by a unit of work that then failed."""
        self._cache.pop(name, None)
        (self._dir / name).unlink(missing_ok=True)
