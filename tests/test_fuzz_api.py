"""Schemathesis over the OpenAPI schema (/api/schema/): every operation, as the host and anonymously.

Requests go through the Django WSGI application in this process, on the test database and this run's Redis.
Checks: no 5xx (`not_a_server_error`), and every response with a documented status conforms to the schema
(content type, headers, body). `status_code_conformance` is left out: the schema documents the success codes
only, not DRF's 400/401/403/404 answers. The host owns a quiz and a game, so some generated ids and PINs
hit real objects; the others exercise the error paths.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
)

from quizzone.wsgi import application
from rooms.services import game_create
from tests.factories import host_make, quiz_every_kind

pytestmark = pytest.mark.django_db

CHECKS = [
    not_a_server_error,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
SETTINGS = settings(
    max_examples=5,  # random ones per operation and caller, after schemathesis' coverage cases
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture(autouse=True)
def connection_kept():
    """Like Django's test client: requests must not close the test's database connection (the test runs
    in a transaction; `close_old_connections` would close a connection that is not in autocommit)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def host_token() -> str:
    host = host_make("fuzzapi")
    quiz = quiz_every_kind(host, time_limit=30)
    game_create(quiz=quiz, host=host)
    return Token.objects.create(user=host).key


# Loaded at collection (the schema view reads no database); schemathesis' lazy `from_fixture` needs a
# private attribute pytest 9 no longer has.
schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)


@schema.parametrize()
@SETTINGS
def test_every_operation_as_the_host(case, host_token: str) -> None:
    case.call_and_validate(headers={"Authorization": f"Token {host_token}"}, checks=CHECKS)


@schema.parametrize()
@SETTINGS
def test_every_operation_anonymously(case, host_token: str) -> None:
    case.call_and_validate(checks=CHECKS)
