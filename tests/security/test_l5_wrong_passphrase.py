"""L5: a wrong TEM_KEY_PASSPHRASE stops the start with a clear message, not the first signature."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from tem.cli.main import app as cli
from tem.errors import KeyStoreError
from tem.web.app import create_app
from tests.conftest import World
from tests.security.test_m5_passphrase_oracle import env_for

runner = CliRunner()


def test_the_app_refuses_to_start_with_a_wrong_passphrase(world: World) -> None:
    wrong = world.settings.model_copy(update={"key_passphrase": "not the right passphrase"})
    with pytest.raises(KeyStoreError, match="TEM_KEY_PASSPHRASE is not the one"):
        create_app(wrong)


def test_the_app_starts_when_there_are_no_keys_yet(settings) -> None:  # type: ignore[no-untyped-def]
    app = create_app(settings.model_copy(update={"key_passphrase": "any passphrase at all"}))
    app.state.tem.engine.dispose()


def test_signing_commands_check_before_writing_anything(world: World) -> None:
    before = {p.name for p in world.settings.keys_dir.iterdir()}
    env = env_for(world.settings, "not the right passphrase")
    result = runner.invoke(cli, ["key", "create", "--org", world.coop_a], env=env)
    assert result.exit_code == 6
    assert "TEM_KEY_PASSPHRASE is not the one" in result.output
    assert {p.name for p in world.settings.keys_dir.iterdir()} == before
    listed = runner.invoke(cli, ["key", "list", "--json"], env=env_for(world.settings))
    assert len(json.loads(listed.output)) == 3
