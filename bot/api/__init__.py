"""HTTP front door: the JSON API, the search page and the metrics (FastAPI)."""

from bot.api.app import create_app

__all__ = ["create_app"]
