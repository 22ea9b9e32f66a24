"""M5: nothing a cooperative can see is an offline oracle for TEM_KEY_PASSPHRASE.

The session-hash secret used to be one SHA-256 of the passphrase, and the scan history
showed ``session[:8]``: a cooperative choosing its own cookie could test passphrase
guesses offline. The private keys were PKCS#8 with PBKDF2 at 2,048 iterations.
"""

from __future__ import annotations

import hashlib
import json
import threading
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from typer.testing import CliRunner

from tem.cli.main import app as cli
from tem.config import Settings, load_or_create_secret
from tem.errors import ConfigurationError, KeyStoreError
from tem.keys.store import KeyStore, is_current
from tem.scans.service import session_hash
from tests.conftest import PASSPHRASE, World
from tests.scans.test_inspection import issue, scan, token_of

runner = CliRunner()


def env_for(settings: Settings, passphrase: str = PASSPHRASE) -> dict[str, str]:
    env = {
        "TEM_DATA_DIR": str(settings.data_dir),
        "TEM_KEY_PASSPHRASE": passphrase,
        "TEM_PUBLIC_URL": "http://tem.test",
    }
    if settings.database_url:
        env["TEM_DATABASE_URL"] = settings.database_url
    return env


# --- the session secret ------------------------------------------------------------------


def test_the_session_secret_is_not_derived_from_the_passphrase(settings: Settings) -> None:
    old = hashlib.sha256(b"tem/hmac/v1\x00" + PASSPHRASE.encode()).digest()
    secret = settings.secret()
    assert len(secret) == 32
    assert secret != old
    path = settings.data_dir / "secrets" / "session.key"
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.parent.stat().st_mode & 0o777 == 0o700
    # Another worker on the same data directory agrees; another installation does not.
    assert Settings(data_dir=settings.data_dir, key_passphrase=PASSPHRASE).secret() == secret
    other = settings.data_dir.parent / "other"
    assert Settings(data_dir=other, key_passphrase=PASSPHRASE).secret() != secret


def test_workers_starting_together_agree_on_one_secret(tmp_path: Path) -> None:
    path = tmp_path / "secrets" / "session.key"
    found: list[bytes] = []
    barrier = threading.Barrier(8)

    def worker() -> None:
        barrier.wait()
        found.append(load_or_create_secret(path))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(found) == 8
    assert len(set(found)) == 1
    assert [p.name for p in path.parent.iterdir()] == ["session.key"]  # no temporary left


def test_the_secret_can_be_set_and_must_be_long(tmp_path: Path) -> None:
    shared = "x" * 40
    a = Settings(data_dir=tmp_path / "a", key_passphrase=PASSPHRASE, session_secret=shared)
    b = Settings(data_dir=tmp_path / "b", key_passphrase=PASSPHRASE, session_secret=shared)
    assert a.secret() == b.secret()
    assert not (tmp_path / "a" / "secrets").exists()
    with pytest.raises(ConfigurationError, match="at least 32 characters"):
        Settings(data_dir=tmp_path, key_passphrase=PASSPHRASE, session_secret="short").secret()


def test_an_unsafe_secret_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "session.key"
    load_or_create_secret(path)
    path.chmod(0o644)
    with pytest.raises(ConfigurationError, match="readable by others"):
        load_or_create_secret(path)


# --- nothing cookie-derived is shown -------------------------------------------------------


def test_scan_history_shows_nothing_derived_from_the_cookie(world: World) -> None:
    batch, stamps = issue(world)
    token = token_of(stamps[0])
    cookies = ["attacker-chosen-cookie-0001", "attacker-chosen-cookie-0002"]
    for cookie in [*cookies, cookies[0]]:
        scan(world.client, token, cookie)
    scan(world.client, str(batch["token"]), cookies[0])
    secret = world.client.app.state.tem.secret  # type: ignore[attr-defined]
    hashes = [session_hash(c, secret) for c in cookies]
    for url in (
        f"/api/v1/stamps/{stamps[0]['serial']}/scans",
        f"/api/v1/batches/{batch['id']}/scans",
    ):
        for headers in (world.a, world.auth(world.inspector_token), world.root):
            response = world.client.get(url, headers=headers)
            assert response.status_code == 200
            for h in hashes:
                for start in range(0, len(h) - 6):
                    assert h[start : start + 6] not in response.text
    rows = world.client.get(f"/api/v1/stamps/{stamps[0]['serial']}/scans", headers=world.a).json()
    assert [r["browser"] for r in rows] == [1, 2, 1]  # newest first
    cli_rows = runner.invoke(
        cli,
        ["scans", "stamp", stamps[0]["serial"], "--org", world.coop_a, "--json"],
        env=env_for(world.settings),
    )
    assert cli_rows.exit_code == 0, cli_rows.output
    assert all(h[:8] not in cli_rows.output for h in hashes)


# --- the key files ---------------------------------------------------------------------


def legacy_file(store_dir: Path, passphrase: bytes) -> tuple[str, ed25519.Ed25519PrivateKey]:
    """A key file as versions before tem-key/1 wrote it (PKCS#8, PBKDF2, 2,048 rounds)."""
    key = ed25519.Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(passphrase),
    )
    store_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = store_dir / "0123456789abcdef.pem"
    path.write_bytes(pem)
    path.chmod(0o600)
    return path.name, key


def raw(key: ed25519.Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )


def test_new_key_files_use_scrypt_at_owasp_cost(tmp_path: Path) -> None:
    store = KeyStore(tmp_path / "keys", b"a passphrase of some length")
    name, key = store.generate()
    data = (tmp_path / "keys" / name).read_bytes()
    document = json.loads(data)
    assert document["format"] == "tem-key/1"
    assert document["kdf"]["name"] == "scrypt"
    assert document["kdf"]["n"] >= 2**17
    assert document["kdf"]["r"] >= 8
    assert is_current(data)
    fresh = KeyStore(tmp_path / "keys", b"a passphrase of some length")
    assert raw(fresh.load(name)) == raw(key)
    with pytest.raises(KeyStoreError, match="TEM_KEY_PASSPHRASE is not the one"):
        KeyStore(tmp_path / "keys", b"another passphrase").load(name)


def test_lowered_parameters_are_refused(tmp_path: Path) -> None:
    store = KeyStore(tmp_path / "keys", b"a passphrase of some length")
    name, _ = store.generate()
    path = tmp_path / "keys" / name
    document = json.loads(path.read_bytes())
    document["kdf"]["n"] = 2**10  # an attacker who can write the file cannot weaken it
    path.write_text(json.dumps(document))
    with pytest.raises(KeyStoreError):
        KeyStore(tmp_path / "keys", b"a passphrase of some length").load(name)


def test_legacy_files_still_load_and_rewrap_upgrades_them(settings: Settings) -> None:
    name, key = legacy_file(settings.keys_dir, PASSPHRASE.encode())
    assert not is_current((settings.keys_dir / name).read_bytes())
    assert raw(KeyStore(settings.keys_dir, PASSPHRASE.encode()).load(name)) == raw(key)

    wrong = runner.invoke(cli, ["key", "rewrap"], env=env_for(settings, "not the passphrase!"))
    assert wrong.exit_code == 6
    assert "TEM_KEY_PASSPHRASE" in wrong.output
    assert not is_current((settings.keys_dir / name).read_bytes())

    result = runner.invoke(cli, ["key", "rewrap"], env=env_for(settings))
    assert result.exit_code == 0, result.output
    assert "1 key file(s) re-encrypted" in result.output
    path = settings.keys_dir / name
    assert is_current(path.read_bytes())
    assert path.stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in settings.keys_dir.iterdir()) == [name]  # no temporary left
    assert raw(KeyStore(settings.keys_dir, PASSPHRASE.encode()).load(name)) == raw(key)
    again = runner.invoke(cli, ["key", "rewrap"], env=env_for(settings))
    assert "0 key file(s) re-encrypted, 1 already" in again.output


def test_one_process_gives_its_keys_one_salt(tmp_path: Path) -> None:
    """So the slow KDF runs once per process, not once per key (the derived key is cached)."""
    store = KeyStore(tmp_path / "keys", b"another passphrase, longer")
    names = [store.generate()[0] for _ in range(3)]
    salts = {json.loads((tmp_path / "keys" / n).read_bytes())["kdf"]["salt"] for n in names}
    assert len(salts) == 1
    nonces = {json.loads((tmp_path / "keys" / n).read_bytes())["cipher"]["nonce"] for n in names}
    assert len(nonces) == 3
