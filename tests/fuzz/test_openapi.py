"""API fuzzing: schemathesis turns every service's and the gateway's OpenAPI into requests,
sends them in process (WSGI) to the real applications over real databases on both backends,
and checks each answer: never a 5xx, and always what the operation declares (status code,
content type, body schema).

The requests act for a seeded administrator who owns an event with a row of every kind; part
of the cases aim at those rows' ids, so the fuzzer reaches past "not found" into the use cases.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import schemathesis
from apiflask import APIFlask
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis import APIOperation, Case, GenerationMode
from schemathesis.checks import load_all_checks
from schemathesis.core.result import Ok

from tests.fuzz.seed import Seed, seed
from tripbot import SERVICES
from tripbot.platform.identity import SYSTEM, Destination, Principal
from tripbot.system import System, signer_for

load_all_checks()
Operation = APIOperation[Any, Any, Any, Any]
CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_schema_conformance,
]
EXAMPLES = int(os.environ.get("TRIPBOT_FUZZ_EXAMPLES", "20"))
"""Cases per operation and backend: bounded so the whole fuzz stays within minutes on one core
(raise it for a deeper run by hand)."""

pytestmark = pytest.mark.fuzz


@dataclass
class Outcome:
    """What one fuzz run did and found."""

    operations: int = 0
    cases: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    succeeded: set[str] = field(default_factory=set)
    """The operations that answered at least one case with a 2xx."""
    failures: list[str] = field(default_factory=list)


def _path_parameter_names(operation: Operation) -> list[str]:
    return re.findall(r"{(\w+)}", operation.path)


def _order(operation: Operation) -> tuple[bool, int]:
    # Deletions last, the deepest first: the seeded rows stay for every other operation.
    return operation.method.upper() == "DELETE", -operation.path.count("/")


def _cases(operation: Operation, aimed: dict[str, int | str]) -> st.SearchStrategy[Case[Operation]]:
    strategies = [
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    ]
    if aimed:
        strategies.insert(0, operation.as_strategy(GenerationMode.POSITIVE, path_parameters=aimed))
    return st.one_of(strategies)


def fuzz(
    app: APIFlask,
    spec_path: str,
    headers: Callable[[Case[Operation]], dict[str, str]],
    target: Seed,
) -> Outcome:
    """Send every operation of an app's OpenAPI its generated cases; collect what fails."""
    schema = schemathesis.openapi.from_wsgi(spec_path, app)
    outcome = Outcome()
    operations: list[Operation] = []
    for result in schema.get_all_operations():
        if isinstance(result, Ok):
            operations.append(result.ok())
        else:
            outcome.failures.append(f"an operation schemathesis cannot read: {result.err()}")
    outcome.operations = len(operations)
    operations.sort(key=_order)
    for operation in operations:
        aimed = target.path_parameters(operation.path, _path_parameter_names(operation))

        @hypothesis_settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
            phases=[Phase.explicit, Phase.generate, Phase.shrink],
        )
        @given(case=_cases(operation, aimed))
        def send(case: Case[Operation]) -> None:
            outcome.cases += 1
            response = case.call(headers=headers(case))
            outcome.statuses[f"{response.status_code // 100}xx"] += 1
            if response.status_code < 300:
                outcome.succeeded.add(case.operation.label)
            case.validate_response(response, checks=CHECKS)

        try:
            send()
        except (Exception, BaseExceptionGroup) as error:  # schemathesis groups its failures
            outcome.failures.append(f"{operation.label}: {error}")
    return outcome


def _record(
    stats: dict[str, dict[str, object]], target: str, backend: str, outcome: Outcome
) -> None:
    stats[f"{target}-{backend}"] = {
        "operations": outcome.operations,
        "cases": outcome.cases,
        "statuses": dict(sorted(outcome.statuses.items())),
        "operations_with_2xx": len(outcome.succeeded),
        "failures": len(outcome.failures),
    }


def _verdict(outcome: Outcome) -> None:
    assert outcome.operations > 0
    assert outcome.cases >= outcome.operations
    # Most operations must have done their work at least once: the run is authenticated and
    # reaches the seeded rows, not a wall of 401s and 404s that would prove nothing.
    assert len(outcome.succeeded) >= outcome.operations // 2, sorted(outcome.succeeded)
    assert not outcome.failures, "\n\n".join(outcome.failures)


@pytest.fixture
def seeded(system: System, http: httpx.Client) -> Seed:
    """One of everything around one event, owned by an administrator."""
    return seed(system, http)


@pytest.mark.parametrize("name", SERVICES)
def test_a_service_answers_every_generated_request_as_declared(
    system: System,
    seeded: Seed,
    backend: str,
    name: str,
    fuzz_stats: dict[str, dict[str, object]],
) -> None:
    settings = system.settings
    signer = signer_for(settings, "gateway")
    principal = Principal(
        user_id=seeded.owner.id,
        instance_role="admin",
        event_id=seeded.event_id,
        event_role="owner",
    )

    def headers(case: Case[Operation]) -> dict[str, str]:
        # Signed per call: a token is for one call, and a run lasts longer than one lives. The
        # feed answers TripBot's own components only.
        caller = SYSTEM if case.operation.path == "/feed" else principal
        to = Destination.of(name, case.method, case.formatted_path)
        return {"Authorization": signer.header(caller, to)}

    outcome = fuzz(system.services[name], "/openapi.json", headers, seeded)
    _record(fuzz_stats, name, backend, outcome)
    _verdict(outcome)


def test_the_public_api_answers_every_generated_request_as_declared(
    system: System, seeded: Seed, backend: str, fuzz_stats: dict[str, dict[str, object]]
) -> None:
    outcome = fuzz(
        system.gateway, "/api/v1/openapi.json", lambda _: dict(seeded.owner.headers), seeded
    )
    _record(fuzz_stats, "gateway", backend, outcome)
    _verdict(outcome)
