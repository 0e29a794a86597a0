"""schemathesis over the public API of a gateway on a real socket (real SQLite, its lifespan run):
every operation of Open311, /api/classify, /api/tickets (with the API key), /api/agent/login and
/healthz gets a bounded number of generated requests, valid and invalid; none may answer 5xx,
an undeclared status code or content type, or a body that breaks the declared schema."""

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app import create_app
from core.settings import Settings
from tests.helpers import free_port, served

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]
KEY = "schema-key-0123456789abcdef"
PUBLIC = r"^/(open311/v2/.*|api/classify|api/tickets.*|api/agent/login|healthz)$"
EXAMPLES_PER_OPERATION = 30
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def base_url(tmp_path_factory):
    var_dir = tmp_path_factory.mktemp("schema")
    # generous rate limits: the run is about what the routes answer, not about being refused
    settings = Settings(
        database_url=f"sqlite:///{var_dir / 'hotline.db'}",
        api_keys=KEY,
        var_dir=var_dir,
        rasa_port=1,
        audiosocket_port=free_port(),
        open311_post_burst=10_000,
        classify_burst=10_000,
    )
    with served(create_app(settings)) as url:
        yield url


def test_public_api_keeps_its_schema(base_url):
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json").include(path_regex=PUBLIC)
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @hypothesis.settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @hypothesis.given(case=operation.as_strategy())
        def exercise(case) -> None:
            case.call_and_validate(
                base_url=base_url, headers={"Authorization": f"Bearer {KEY}"}, checks=CHECKS, timeout=30
            )

        try:
            exercise()
        except Exception as exc:  # noqa: BLE001  (collect every operation's failure, report all)
            failures.append(f"{operation.label}:\n{exc}")
    assert operations >= 10
    assert not failures, "\n\n".join(failures)
