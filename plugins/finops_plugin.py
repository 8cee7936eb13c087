"""Registers the FinOps page with Airflow: the FastAPI app under ``/finops`` and its navigation entry."""

from __future__ import annotations

from urllib.parse import urlsplit

from airflow.configuration import conf
from airflow.plugins_manager import AirflowPlugin

from finops.web.app import create_app


def _url(path: str) -> str:
    """``path`` below the API server's base path (``[api] base_url``)."""
    return urlsplit(conf.get("api", "base_url", fallback="") or "/").path.rstrip("/") + path


class FinopsPlugin(AirflowPlugin):
    """The FinOps page: teams, OpenAI Admin keys, project IDs, collection status and spend."""

    name = "finops"
    fastapi_apps = [{"app": create_app(), "url_prefix": "/finops", "name": "FinOps"}]
    external_views = [
        {
            "name": "FinOps",
            "href": _url("/finops/overview"),  # the spend overview; management is one click away
            "destination": "nav",
            "url_route": "finops",
        }
    ]
