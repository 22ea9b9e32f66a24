"""Private keys on disk: one file per key, encrypted under the passphrase, mode 0600.

The passphrase comes from ``TEM_KEY_PASSPHRASE`` (see :class:`tem.config.Settings`).
Nothing here logs or returns private key material; errors say what to fix
without echoing any secret.

File format ``tem-key/1`` (docs/deploy.md), one JSON object, UTF-8::

    {"format": "tem-key/1",
     "kdf": {"name": "scrypt", "n": 131072, "r": 8, "p": 1, "salt": "<base64, 16 bytes>"},
     "cipher": {"name": "aes-256-gcm", "nonce": "<base64, 12 bytes>"},
     "ciphertext": "<base64: AES-256-GCM of the key's unencrypted PKCS#8 DER, tag appended>"}

The 32-byte AES key is scrypt (RFC 7914) of the passphrase with the file's salt and
parameters; the additional authenticated data is ``b"tem-key/1\\x00"`` followed by the
``kdf`` object as compact JSON with sorted keys, so the parameters cannot be lowered
without the tag failing. scrypt at N=2^17, r=8, p=1 (128 MiB) is OWASP's recommended
setting: each passphrase guess costs an attacker holding a key file the same.

Files written before this format are PKCS#8 PEM encrypted with PBKDF2 at 2,048
iterations; they are still read, and ``tem key rewrap`` rewrites them in this format.

A derived AES key is kept in memory per process, by passphrase, salt and parameters,
and a process gives every key it creates the same salt: the (deliberately slow) scrypt
runs once per process, not once per key or per signature.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import stat
import threading
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from tem.errors import KeyStoreError

FORMAT = "tem-key/1"
KEY_SUFFIX = ".key"
LEGACY_SUFFIX = ".pem"
WRONG_PASSPHRASE = (
    "cannot decrypt a private key: TEM_KEY_PASSPHRASE is not the one the keys were made with"  # noqa: S105 - an error message, not a secret
)


@dataclass(frozen=True)
class Scrypt1:
    """scrypt parameters and salt of one key file (RFC 7914)."""

    n: int = 2**17
    r: int = 8
    p: int = 1
    salt: bytes = b""

    def as_json(self) -> dict[str, object]:
        return {
            "name": "scrypt",
            "n": self.n,
            "r": self.r,
            "p": self.p,
            "salt": base64.b64encode(self.salt).decode(),
        }

    def aad(self) -> bytes:
        return FORMAT.encode() + b"\x00" + json.dumps(self.as_json(), sort_keys=True).encode()


DEFAULT_KDF = Scrypt1()
# Bounds on what a file may ask for: enough for any sane setting, not a denial of service.
_MAX_N, _MAX_R, _MAX_P = 2**20, 32, 16

_kek_lock = threading.Lock()
_keks: dict[tuple[bytes, Scrypt1], bytes] = {}
_process_salts: dict[bytes, bytes] = {}


def _passphrase_id(passphrase: bytes) -> bytes:
    return hashlib.sha256(b"tem/key-store/cache\x00" + passphrase).digest()


def _kek(passphrase: bytes, kdf: Scrypt1) -> bytes:
    """The AES key for ``kdf``: derived once per process, then remembered."""
    cache_key = (_passphrase_id(passphrase), kdf)
    with _kek_lock:
        found = _keks.get(cache_key)
    if found is not None:
        return found
    derived = Scrypt(salt=kdf.salt, length=32, n=kdf.n, r=kdf.r, p=kdf.p).derive(passphrase)
    with _kek_lock:
        _keks[cache_key] = derived
    return derived


def _new_file_kdf(passphrase: bytes) -> Scrypt1:
    """The parameters for a key written now: the default, with this process's salt."""
    with _kek_lock:
        salt = _process_salts.setdefault(_passphrase_id(passphrase), secrets.token_bytes(16))
    return Scrypt1(DEFAULT_KDF.n, DEFAULT_KDF.r, DEFAULT_KDF.p, salt)


def seal(key: ed25519.Ed25519PrivateKey, passphrase: bytes) -> bytes:
    """The ``tem-key/1`` file content for ``key``."""
    kdf = _new_file_kdf(passphrase)
    der = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    nonce = secrets.token_bytes(12)
    sealed = AESGCM(_kek(passphrase, kdf)).encrypt(nonce, der, kdf.aad())
    document = {
        "format": FORMAT,
        "kdf": kdf.as_json(),
        "cipher": {"name": "aes-256-gcm", "nonce": base64.b64encode(nonce).decode()},
        "ciphertext": base64.b64encode(sealed).decode(),
    }
    return (json.dumps(document, indent=1) + "\n").encode()


def is_current(data: bytes) -> bool:
    """Whether file content is ``tem-key/1`` with at least the default scrypt cost."""
    try:
        kdf = _parse(data)[0]
    except KeyStoreError:
        return False
    return kdf.n >= DEFAULT_KDF.n and kdf.r >= DEFAULT_KDF.r and kdf.p >= DEFAULT_KDF.p


def _parse(data: bytes) -> tuple[Scrypt1, bytes, bytes]:
    try:
        document = json.loads(data)
        if document["format"] != FORMAT or document["kdf"]["name"] != "scrypt":
            raise ValueError("unknown format")
        if document["cipher"]["name"] != "aes-256-gcm":
            raise ValueError("unknown cipher")
        raw = document["kdf"]
        kdf = Scrypt1(
            int(raw["n"]),
            int(raw["r"]),
            int(raw["p"]),
            base64.b64decode(raw["salt"], validate=True),
        )
        nonce = base64.b64decode(document["cipher"]["nonce"], validate=True)
        sealed = base64.b64decode(document["ciphertext"], validate=True)
    except (ValueError, KeyError, TypeError) as exc:
        raise KeyStoreError("not a tem-key/1 file") from exc
    valid = (
        2 <= kdf.n <= _MAX_N
        and kdf.n & (kdf.n - 1) == 0
        and 1 <= kdf.r <= _MAX_R
        and 1 <= kdf.p <= _MAX_P
        and len(kdf.salt) >= 16
        and len(nonce) == 12
    )
    if not valid:
        raise KeyStoreError("a tem-key/1 file has parameters out of range")
    return kdf, nonce, sealed


def unseal(data: bytes, passphrase: bytes) -> ed25519.Ed25519PrivateKey:
    """Decrypt file content in either format (``tem-key/1``, or legacy encrypted PKCS#8 PEM).

    Raises:
        KeyStoreError: the passphrase is wrong, the file is damaged, or not an Ed25519 key.
    """
    try:
        if data.lstrip().startswith(b"{"):
            kdf, nonce, sealed = _parse(data)
            der = AESGCM(_kek(passphrase, kdf)).decrypt(nonce, sealed, kdf.aad())
            key = serialization.load_der_private_key(der, password=None)
        else:
            key = serialization.load_pem_private_key(data, password=passphrase)
    except (ValueError, TypeError, InvalidTag) as exc:
        raise KeyStoreError(WRONG_PASSPHRASE) from exc
    if not isinstance(key, ed25519.Ed25519PrivateKey):
        raise KeyStoreError("a private key file does not hold an Ed25519 key")
    return key


def write_private(path: Path, data: bytes, *, replace: bool = False) -> None:
    """Write ``data`` to ``path`` with mode 0600, durably.

    A new file is created exclusively. With ``replace``, a temporary file beside it is
    written, flushed and renamed over ``path`` (atomic: readers see the old or the new file).
    """
    target = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp") if replace else path
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if replace:
            os.replace(target, path)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


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
        name = f"{secrets.token_hex(8)}{KEY_SUFFIX}"
        write_private(self._dir / name, seal(key, self._passphrase))
        self._cache[name] = key
        return name, key

    def _path(self, name: str) -> Path:
        if "/" in name or "\\" in name or name.startswith("."):
            raise KeyStoreError("invalid key file name")
        return self._dir / name

    def _read(self, path: Path) -> bytes:
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
        return data

    def load(self, name: str) -> ed25519.Ed25519PrivateKey:
        """Decrypt and return the key stored under ``name`` (kept in memory afterwards).

        Raises:
            KeyStoreError: when the file is missing, readable by others, or the
                passphrase is wrong.
        """
        cached = self._cache.get(name)
        if cached is not None:
            return cached
        path = self._path(name)
        key = unseal(self._read(path), self._passphrase)
        self._cache[name] = key
        return key

    def names(self) -> list[str]:
        """The key files in the directory, oldest name first (none if it does not exist)."""
        if not self._dir.is_dir():
            return []
        return sorted(
            p.name
            for p in self._dir.iterdir()
            if p.is_file()
            and p.suffix in (KEY_SUFFIX, LEGACY_SUFFIX)
            and not p.name.startswith(".")
        )

    def check(self) -> None:
        """Fail now, not at the first signature, if the passphrase does not open the keys.

        Decrypts one key file (a store with none passes).

        Raises:
            KeyStoreError: the passphrase is wrong, or that file is unreadable or unsafe.
        """
        names = self.names()
        if names:
            self.load(names[0])

    def rewrap(self) -> tuple[int, int]:
        """Re-encrypt every key file not yet in ``tem-key/1`` at the default cost.

        Each file is decrypted, re-encrypted, and atomically replaced (mode 0600),
        keeping its name. Returns (rewrapped, already current).

        Raises:
            KeyStoreError: a file cannot be decrypted (nothing after it is touched).
        """
        done = current = 0
        for name in self.names():
            path = self._path(name)
            data = self._read(path)
            if is_current(data):
                unseal(data, self._passphrase)  # still prove the passphrase opens it
                current += 1
                continue
            key = unseal(data, self._passphrase)
            write_private(path, seal(key, self._passphrase), replace=True)
            self._cache[name] = key
            done += 1
        return done, current

    def discard(self, name: str) -> None:
        """Remove a key file written by a unit of work that then failed."""
        self._cache.pop(name, None)
        self._path(name).unlink(missing_ok=True)
