"""The OpenAPI schema of the whole project builds, validates and raises no drf-spectacular warning.

Warnings from rooms/api.py (the live-game endpoints, built elsewhere) are left to their owner.
"""

from __future__ import annotations

import pytest
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

NOT_OURS = ("rooms/api.py",)


@pytest.fixture
def schema_and_complaints() -> tuple[dict, list[str]]:
    GENERATOR_STATS.reset()
    with GENERATOR_STATS.silence():
        schema = SchemaGenerator().get_schema(request=None, public=True)
    complaints = [*GENERATOR_STATS._warn_cache, *GENERATOR_STATS._error_cache]
    GENERATOR_STATS.reset()
    return schema, complaints


def test_schema_has_no_warnings_or_errors(schema_and_complaints) -> None:
    schema, complaints = schema_and_complaints
    validate_schema(schema)
    assert [c for c in complaints if not any(path in c for path in NOT_OURS)] == []


def test_schema_documents_the_quiz_endpoints(schema_and_complaints) -> None:
    paths = schema_and_complaints[0]["paths"]
    assert {"post"} <= set(paths["/api/auth/token/"])
    assert {"get", "post"} <= set(paths["/api/quizzes/"])
    assert {"get", "put", "patch", "delete"} <= set(paths["/api/quizzes/{id}/"])
    assert paths["/api/quizzes/{id}/"]["get"]["parameters"][0]["schema"]["type"] == "integer"
    assert "get" in paths["/api/quizzes/{id}/export/"]
    assert "201" in paths["/api/quizzes/import/"]["post"]["responses"]
    token_response = paths["/api/auth/token/"]["post"]["responses"]["200"]
    assert token_response["content"]["application/json"]["schema"]["$ref"].endswith("/AuthToken")
