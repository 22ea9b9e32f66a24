"""``python -m tem`` is the ``tem`` command."""

from tem.cli.main import app

app()
