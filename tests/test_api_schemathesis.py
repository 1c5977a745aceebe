"""Property-based API tests from /openapi.json (schemathesis): no 5xx, responses match it."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from bot.api.background import BackgroundServer

MAX_EXAMPLES = 25  # per operation and phase: keeps the whole module around a minute


@pytest.fixture(scope="module")
def api_schema(demo_server: BackgroundServer) -> schemathesis.BaseSchema:
    """The schema as served, pointing at the running server."""
    return schemathesis.openapi.from_url(f"{demo_server.url}/openapi.json")


schema = schemathesis.pytest.from_fixture("api_schema")
NETWORK_TAG = "rete"  # routes of bot/api/routes_network.py (practice network)


@schema.exclude(tag=NETWORK_TAG).parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_schema(case: schemathesis.Case) -> None:
    """Every generated request gets a documented, schema-valid answer and never a 5xx."""
    case.call_and_validate(timeout=30)


@schema.include(tag=NETWORK_TAG).parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_network_api_conforms_to_its_schema(case: schemathesis.Case) -> None:
    """The same for the practice-network routes mounted by `create_app`."""
    case.call_and_validate(timeout=30)
