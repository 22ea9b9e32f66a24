"""ASGI entry point for uvicorn workers: ``uvicorn tem.web.asgi:app``."""

from tem.config import Settings
from tem.web.app import create_app

app = create_app(Settings())
