"""The API fuzzed from its own OpenAPI schema (schemathesis), as the secretariat and
as a delegate: no server error, and every response matches the schema."""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from secretariat.wsgi import application

# The same document /api/schema/ serves, generated in-process.
schema = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))
schema.app = application


@pytest.fixture
def api_tokens(network):
    """Tokens of the secretariat officer and of Singapore's head of delegation.

    Calling the WSGI app directly fires request_finished, which would close the
    test's connection mid-transaction; Django's own test client unhooks it too.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield [Token.objects.get_or_create(user=person)[0].key for person in (network.officer, network.sgp)]
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_never_errors_and_matches_its_schema(case, api_tokens):
    for token in api_tokens:
        case.call_and_validate(
            headers={"Authorization": f"Token {token}"},
            checks=[not_a_server_error, response_schema_conformance],
        )
