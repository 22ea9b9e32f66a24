"""The ``tem`` command line (Typer)."""
