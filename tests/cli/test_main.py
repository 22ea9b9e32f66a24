"""The `tem` command line, as an operator uses it: init, organizations, keys, batches, verify."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tem.cli.main import app
from tem.config import Settings
from tests.conftest import PASSPHRASE

runner = CliRunner()


@pytest.fixture
def env(settings: Settings) -> dict[str, str]:
    values = {
        "TEM_DATA_DIR": str(settings.data_dir),
        "TEM_KEY_PASSPHRASE": PASSPHRASE,
        "TEM_PUBLIC_URL": "http://tem.test",
        "COLUMNS": "300",
    }
    if settings.database_url:
        values["TEM_DATABASE_URL"] = settings.database_url
    return values


def tem(env: Mapping[str, str | None], *args: str, code: int = 0) -> str:
    result = runner.invoke(app, list(args), env=dict(env))
    output = result.output + (result.stderr if result.stderr_bytes is not None else "")
    assert result.exit_code == code, output
    assert "Traceback" not in output
    return output


@pytest.fixture
def batch(env: dict[str, str]) -> dict[str, str]:
    tem(env, "init", "--authority-name", "Hội đồng OCOP tỉnh Yên Bái")
    org = json.loads(
        tem(
            env,
            "org",
            "create",
            "--kind",
            "cooperative",
            "--name",
            "HTX Suối Giàng",
            "--province",
            "Yên Bái",
            "--district",
            "Văn Chấn",
            "--commune",
            "Suối Giàng",
            "--json",
        )
    )
    assert "signs until" in tem(env, "key", "create", "--org", org["id"])
    product = json.loads(
        tem(
            env,
            "product",
            "create",
            "--org",
            org["id"],
            "--name",
            "Chè Shan Tuyết",
            "--standard",
            "VietGAP",
            "--ocop-stars",
            "4",
            "--ocop-certificate",
            "12/QĐ",
            "--ocop-council",
            "Hội đồng tỉnh",
            "--ocop-awarded",
            "2025-01-01",
            "--ocop-expires",
            "2028-01-01",
            "--json",
        )
    )
    created = json.loads(
        tem(
            env,
            "batch",
            "create",
            "--org",
            org["id"],
            "--product",
            product["id"],
            "--lot",
            "ST-01",
            "--quantity",
            "100",
            "--unit",
            "túi",
            "--produced",
            "2026-03-01",
            "--expires",
            "2027-03-01",
            "--origin-name",
            "Đồi chè",
            "--json",
        )
    )
    tem(
        env,
        "event",
        "add",
        "--org",
        org["id"],
        "--batch",
        "ST-01",
        "--type",
        "harvesting",
        "--time",
        "2026-03-01T06:30:00+07:00",
        "--place-name",
        "Đồi chè",
        "--actor",
        "Tổ hái chè",
    )
    return {"org": org["id"], "url": created["label_url"], "id": created["id"]}


def test_init_prints_a_token_once_and_is_repeatable(env: dict[str, str]) -> None:
    first = tem(env, "init")
    assert re.search(r"tem_[A-Za-z0-9_-]{20,}", first)
    second = tem(env, "init")
    assert "Already initialized" in second
    assert not re.search(r"tem_[A-Za-z0-9_-]{20,}", second)


def test_full_flow_and_offline_verify(env: dict[str, str], batch: dict[str, str]) -> None:
    output = tem(env, "verify", batch["url"])
    assert "GENUINE" in output
    assert "HTX Suối Giàng" in output
    report = json.loads(tem(env, "verify", batch["url"].split("/")[-1], "--json"))
    assert report["verdict"] == "genuine"
    assert report["history"][0]["status"] == "valid"


def test_verify_image_decodes_the_label(
    env: dict[str, str], batch: dict[str, str], tmp_path: Path
) -> None:
    out = tem(
        env, "label", "write", "--org", batch["org"], "--batch", "ST-01", "--out", str(tmp_path)
    )
    assert batch["url"] in out.replace("\n", "")
    assert "GENUINE" in tem(env, "verify", "--image", str(tmp_path / "ST-01.png"))


def test_verify_image_errors(env: dict[str, str], batch: dict[str, str], tmp_path: Path) -> None:
    blank = tmp_path / "blank.png"
    from PIL import Image

    Image.new("RGB", (200, 200), "white").save(blank)
    assert "no QR code found" in tem(env, "verify", "--image", str(blank), code=3)
    junk = tmp_path / "junk.png"
    junk.write_bytes(b"not an image")
    assert "not an image" in tem(env, "verify", "--image", str(junk), code=2)
    assert "no such file" in tem(env, "verify", "--image", str(tmp_path / "missing.png"), code=2)


def test_verify_bad_code_exits_1(env: dict[str, str], batch: dict[str, str]) -> None:
    output = tem(env, "verify", "HTTP://TEM.TEST/T/NOTATOKEN", code=1)
    assert "INVALID" in output


@pytest.mark.parametrize(
    "decorate",
    [
        lambda url: url + "/",
        lambda url: url + "?utm_source=zalo",
        lambda url: url + "#top",
        lambda url: f"  {url}\n",
        lambda url: url.split("/")[-1] + "/",
        lambda url: url.lower() + "/?x=1#y",
    ],
    ids=["slash", "query", "fragment", "whitespace", "bare-slash", "all"],
)
def test_verify_a_pasted_url_with_extras(
    env: dict[str, str], batch: dict[str, str], decorate: Any
) -> None:
    """Regression: ``tem verify '<TOKEN>/'`` crashed with an IndexError traceback."""
    assert "GENUINE" in tem(env, "verify", decorate(batch["url"]))


@pytest.mark.parametrize("text", ["/", "///", "?", "#", "   ", "HTTP://TEM.TEST/T/"])
def test_verify_a_url_without_a_token_is_a_clear_error(
    env: dict[str, str], batch: dict[str, str], text: str
) -> None:
    assert "INVALID" in tem(env, "verify", text, code=1)


def test_verify_a_recalled_batch_exits_1_and_says_recalled(
    env: dict[str, str], batch: dict[str, str]
) -> None:
    """Regression: ``tem verify`` forgot the recall and printed GENUINE, exit 0."""
    tem(env, "batch", "recall", "--org", batch["org"], "ST-01", "--reason", "nhiễm nấm mốc")
    output = tem(env, "verify", batch["url"], code=1)
    assert "RECALLED" in output
    assert "nhiễm nấm mốc" in output
    report = json.loads(tem(env, "verify", batch["url"], "--json", code=1))
    assert report["verdict"] == "recalled"
    assert report["scope"] == "online"
    assert report["batch"]["recall"]["reason"] == "nhiễm nấm mốc"


def test_bad_inputs_exit_2_with_field_messages(env: dict[str, str], batch: dict[str, str]) -> None:
    out = tem(
        env,
        "product",
        "create",
        "--org",
        batch["org"],
        "--name",
        "X",
        "--ocop-stars",
        "7",
        "--ocop-certificate",
        "1",
        "--ocop-council",
        "c",
        "--ocop-awarded",
        "2025-01-01",
        "--ocop-expires",
        "2026-01-01",
        code=2,
    )
    assert "ocop.stars" in out
    out = tem(
        env,
        "event",
        "add",
        "--org",
        batch["org"],
        "--batch",
        "ST-01",
        "--type",
        "harvesting",
        "--time",
        "2026-03-01T06:30:00",
        "--place-name",
        "x",
        "--actor",
        "y",
        code=2,
    )
    assert "time zone" in out


def test_duplicate_lot_and_unknown_things(env: dict[str, str], batch: dict[str, str]) -> None:
    products = json.loads(tem(env, "product", "list", "--org", batch["org"], "--json"))
    out = tem(
        env,
        "batch",
        "create",
        "--org",
        batch["org"],
        "--product",
        products[0]["id"],
        "--lot",
        "ST-01",
        "--quantity",
        "1",
        "--unit",
        "túi",
        "--produced",
        "2026-03-01",
        "--expires",
        "2027-03-01",
        "--origin-name",
        "x",
        code=4,
    )
    assert "already exists" in out
    assert "no organization" in tem(env, "product", "list", "--org", "nope", code=3)
    assert "no batch" in tem(env, "event", "list", "--org", batch["org"], "--batch", "NOPE", code=3)


def test_not_initialized_and_missing_passphrase(env: dict[str, str], tmp_path: Path) -> None:
    # None removes a variable the test process may have (CI sets TEM_DATABASE_URL)
    fresh = {**env, "TEM_DATABASE_URL": None, "TEM_DATA_DIR": str(tmp_path / "new")}
    assert "tem init" in tem(fresh, "org", "list", code=6)
    no_pass = {**env, "TEM_KEY_PASSPHRASE": None}
    assert "TEM_KEY_PASSPHRASE is not set" in tem(no_pass, "init", code=6)
    bad_url = {**env, "TEM_PUBLIC_URL": "https://tem.example/with_underscore"}
    assert "TEM_PUBLIC_URL" in tem(bad_url, "init", code=6)


def test_revoke_then_verify(env: dict[str, str], batch: dict[str, str]) -> None:
    keys = json.loads(tem(env, "key", "list", "--json"))
    signing = next(k for k in keys if k["purpose"] == "signing")
    tem(
        env,
        "key",
        "revoke",
        signing["key_id"],
        "--reason",
        "khóa bị lộ",
        "--at",
        "2020-01-01T00:00:00+00:00",
    )
    assert "REVOKED" in tem(env, "verify", batch["url"], code=1)


def test_demo_builds_labels_and_prints_urls(tmp_path: Path) -> None:
    env = {
        "TEM_DATA_DIR": str(tmp_path / "demo"),
        "TEM_PUBLIC_URL": "http://127.0.0.1:8000",
        "COLUMNS": "400",
        "TEM_DATABASE_URL": None,  # the demo is SQLite in its own data directory
    }
    out = tem(env, "demo")
    urls = re.findall(r"HTTP://127\.0\.0\.1:8000/T/[A-Z2-7]+", out)
    assert len(urls) >= 4
    labels = sorted(p.name for p in (tmp_path / "demo" / "labels").iterdir())
    assert any(n.endswith(".png") for n in labels)
    assert any(n.endswith(".svg") for n in labels)
    passphrase = tmp_path / "demo" / "demo-passphrase.txt"
    assert passphrase.stat().st_mode & 0o777 == 0o600
    assert "not empty" in tem(env, "demo", code=4)
    assert "GENUINE" in tem({**env, "TEM_DEMO": "1"}, "verify", urls[0])
    tem(env, "demo", "--reset")


def test_verify_with_a_trust_bundle_only(
    env: dict[str, str], batch: dict[str, str], settings: Settings, tmp_path: Path
) -> None:
    from tem.crypto import cbor
    from tem.db import make_engine, session_factory
    from tem.keys.service import trust_bundle

    engine = make_engine(settings)
    with session_factory(engine)() as session:
        data = trust_bundle(session)
    engine.dispose()
    bundle = tmp_path / "bundle.cbor"
    bundle.write_bytes(cbor.encode(data))
    # no data directory at all: only the code and the bundle
    offline = {"TEM_DATA_DIR": str(tmp_path / "nothing-here"), "COLUMNS": "300"}
    assert "GENUINE" in tem(offline, "verify", batch["url"], "--bundle", str(bundle))
    root = data["anchors"][0]["pub"].hex()
    assert "GENUINE" in tem(
        offline, "verify", batch["url"], "--bundle", str(bundle), "--anchor", root
    )
    other = "11" * 32
    out = tem(offline, "verify", batch["url"], "--bundle", str(bundle), "--anchor", other, code=1)
    assert "UNKNOWN_KEY" in out
    garbage = tmp_path / "garbage.cbor"
    garbage.write_bytes(b"\xff\x00")
    assert "malformed" in tem(offline, "verify", batch["url"], "--bundle", str(garbage), code=2)
    assert "not a 32-byte" in tem(
        offline, "verify", batch["url"], "--bundle", str(bundle), "--anchor", "zz", code=2
    )
