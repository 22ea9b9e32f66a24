"""Schemathesis against the served OpenAPI document, once per role, on this test's database.

Every operation of ``/api/v1/openapi.json`` gets a bounded number of generated requests
(schema-valid ones, then schema-invalid ones) with each role's token (authority,
cooperative, inspector) and with none. Path parameters and id-like body fields are
drawn half of the time from the ids of a world built first (a product, a batch with
events, a print run, a report with a photo, an alert), so that requests reach past the 404s. Every
answer must be no 5xx, a status the operation documents, a content type it documents,
and a body that conforms to its schema. Before the generated requests, each role sends
a list of explicit ones that succeed for some role (a print run, labels in each format,
a report's photo, closing an alert, ...), so success answers are checked as well as
refusals. Derandomized: the same cases on every run.

``TEM_FUZZ_EXAMPLES`` sets the examples per operation and mode (default 20; 0 skips).
"""

from __future__ import annotations

import csv
import io
import os
import time
from collections import Counter
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tem.stamps import endpoints as stamp_endpoints
from tests.conftest import PRODUCT, World, batch_body, event_body
from tests.scans.test_inspection import suspect_alert
from tests.scans.test_reports import png
from tests.trace.test_flow import make_batch

EXAMPLES = int(os.environ.get("TEM_FUZZ_EXAMPLES", "20"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def _ids(world: World) -> dict[str, list[Any]]:
    """Real ids for path parameters and id fields, from a world with one of everything."""
    c = world.client
    batch = make_batch(world, events=2)
    batch_id = str(batch["id"])
    run = c.post(
        f"/api/v1/batches/{batch_id}/print-runs",
        json={"count": 4, "request_key": "fuzz"},
        headers=world.a,
    ).json()
    export = c.get(f"/api/v1/print-runs/{run['id']}/stamps.csv", headers=world.a).text
    stamps = list(csv.DictReader(io.StringIO(export)))
    tokens = [row["url"].rsplit("/", 1)[1] for row in stamps] + [str(batch["token"])]
    created = c.post(
        "/api/v1/reports",
        data={"token": stamps[0]["url"], "problem": "Nhãn in mờ, vị chè khác hẳn"},
        files={"photo": ("anh.png", png(), "image/png")},
    )
    assert created.status_code == 201, created.text
    alert = suspect_alert(world, tokens[1])
    c.cookies.clear()
    spare = c.post(
        f"/api/v1/organizations/{world.coop_b}/tokens", json={"name": "spare"}, headers=world.root
    ).json()
    keys = c.get("/api/v1/keys", headers=world.root).json()
    return {
        "token": tokens,
        "org_id": [world.coop_a, world.coop_b, world.inspector, world.authority_id],
        "token_id": [spare["id"]],
        "kid": [k["key_id"] for k in keys if k["organization_id"] == world.coop_b][:1],
        "product_id": [str(batch["product_id"])],
        "batch_id": [batch_id],
        "run_id": [run["id"]],
        "serial": [row["serial"] for row in stamps],
        "report_id": [created.json()["id"]],
        "alert_id": [alert["id"]],
    }


def _explicit(ids: dict[str, list[Any]]) -> list[tuple[str, str, dict[str, Any]]]:
    """Requests that succeed for some role, so that every success answer is checked too."""
    batch = {"batch_id": ids["batch_id"][0]}
    run = {"run_id": ids["run_id"][0]}
    note = {"note": "Đã kiểm tra tại chợ"}
    return [
        ("POST", "/api/v1/products", {"body": PRODUCT}),
        (
            "PUT",
            "/api/v1/products/{product_id}",
            {"path_parameters": {"product_id": ids["product_id"][0]}, "body": PRODUCT},
        ),
        ("POST", "/api/v1/batches", {"body": batch_body(ids["product_id"][0], "FZ-2026-02")}),
        (
            "POST",
            "/api/v1/batches/{batch_id}/events",
            {"path_parameters": batch, "body": event_body("packing", 9)},
        ),
        (
            "POST",
            "/api/v1/batches/{batch_id}/print-runs",
            {"path_parameters": batch, "body": {"count": 3, "request_key": "sync"}},
        ),
        (
            "POST",
            "/api/v1/batches/{batch_id}/print-runs",
            {"path_parameters": batch, "body": {"count": 3, "request_key": "sync"}},
        ),
        (
            "POST",
            "/api/v1/batches/{batch_id}/print-runs",
            {"path_parameters": batch, "body": {"count": 12, "request_key": "async"}},
        ),
        *(
            (
                "GET",
                "/api/v1/batches/{batch_id}/labels.{fmt}",
                {"path_parameters": {**batch, "fmt": fmt}},
            )
            for fmt in ("pdf", "zpl", "zip", "csv")
        ),
        *(
            (
                "GET",
                "/api/v1/print-runs/{run_id}/labels.{fmt}",
                {"path_parameters": {**run, "fmt": fmt}},
            )
            for fmt in ("pdf", "zpl", "zip", "csv")
        ),
        (
            "GET",
            "/api/v1/reports/{report_id}/photo",
            {"path_parameters": {"report_id": ids["report_id"][0]}},
        ),
        (
            "PATCH",
            "/api/v1/reports/{report_id}",
            {
                "path_parameters": {"report_id": ids["report_id"][0]},
                "body": {"status": "investigating", **note},
            },
        ),
        (
            "POST",
            "/api/v1/alerts/{alert_id}/close",
            {"path_parameters": {"alert_id": ids["alert_id"][0]}, "body": note},
        ),
        (
            "POST",
            "/api/v1/stamps/{serial}/review",
            {"path_parameters": {"serial": ids["serial"][1]}, "body": note},
        ),
        (
            "POST",
            "/api/v1/stamps/void",
            {"body": {"reason": "mất cuộn tem", "serials": ids["serial"][-1:]}},
        ),
        (
            "POST",
            "/api/v1/stamps/void",
            {"body": {"reason": "mất cuộn tem", **run, "from_seq": 3, "to_seq": 3}},
        ),
    ]


def _real(ids: dict[str, list[Any]], data: st.DataObject, values: dict[str, Any] | None) -> None:
    """Half of the time, put a real id where the generated one would only find a 404."""
    if not isinstance(values, dict):
        return
    for name in list(values):
        if ids.get(name) and data.draw(st.booleans(), label=name):
            values[name] = data.draw(st.sampled_from(ids[name]), label=name)


def _bounded(case: schemathesis.Case) -> None:
    """Print runs of at most 30 stamps: the contract is under test here, not issuance speed."""
    if isinstance(case.body, dict) and isinstance(case.body.get("count"), int | float):
        count = case.body["count"]
        if count >= 1:
            case.body["count"] = 1 + int(count) % 30


def _tokens(world: World) -> dict[str, dict[str, str]]:
    # The cooperative first: it prints before an inspector or the authority may recall.
    return {
        "cooperative": world.a,
        "inspector": world.auth(world.inspector_token),
        "authority": world.root,
        "anonymous": {},
    }


def test_every_error_answer_is_declared_with_the_error_body(client: TestClient) -> None:
    """What the fuzz found undeclared: 400 for an unreadable body, 404 for an id in a body,
    409 on printing a recalled batch; and every error status carries the one error body."""
    document = client.get("/openapi.json").json()
    paths = document["paths"]
    for path, operations in paths.items():
        for method, operation in operations.items():
            responses = operation["responses"]
            if "requestBody" in operation:
                assert "400" in responses, (method, path)
            for status, response in responses.items():
                if status[0] in "45" and path != "/api/v1/scan/{token}":
                    content = response.get("content", {})
                    assert content.get("application/json", {}).get("schema") == {
                        "$ref": "#/components/schemas/ErrorBody"
                    }, (method, path, status)
    assert "404" in paths["/api/v1/batches"]["post"]["responses"]
    assert "404" in paths["/api/v1/stamps/void"]["post"]["responses"]
    assert "202" in paths["/api/v1/batches/{batch_id}/print-runs"]["post"]["responses"]
    for printing in (
        "/api/v1/batches/{batch_id}/labels.{fmt}",
        "/api/v1/print-runs/{run_id}/labels.{fmt}",
    ):
        assert "409" in paths[printing]["get"]["responses"]
    assert "503" in paths["/api/v1/reports"]["post"]["responses"]


@pytest.mark.skipif(EXAMPLES <= 0, reason="TEM_FUZZ_EXAMPLES=0")
@pytest.mark.timeout(900)  # about 2 minutes on a 2-core machine; the suite's 300 s is too tight
def test_every_operation_answers_as_documented(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Runs over 10 stamps take the asynchronous path (202, issued after the response).
    monkeypatch.setattr(stamp_endpoints, "SYNC_LIMIT", 10)
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", world.client.app)
    ids = _ids(world)
    failures: dict[str, str] = {}
    seen: Counter[str] = Counter()
    started = time.monotonic()
    for role, headers in _tokens(world).items():
        for method, path, parts in _explicit(ids):
            case = schema[path][method].Case(**parts)
            _check(case, role, headers, "explicit", seen, failures)
        for result in schema.get_all_operations():
            operation = result.ok()
            # Without a token, an operation that wants one answers 401 whatever the input.
            examples = EXAMPLES if headers or not operation.security else max(2, EXAMPLES // 4)
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                try:
                    _fuzz(operation, mode, role, headers, ids, examples, seen, failures)
                except Unsatisfiable:  # nothing to make invalid (an operation without input)
                    assert mode is GenerationMode.NEGATIVE, operation.label
    elapsed = time.monotonic() - started
    line = f"{sum(seen.values())} cases in {elapsed:.0f} s"
    print(line)
    summary = os.environ.get("TEM_FUZZ_SUMMARY")
    if summary:
        with open(summary, "a", encoding="utf-8") as out:
            out.write(line + "\n")
            out.writelines(f"  {key}: {count}\n" for key, count in sorted(seen.items()))
    assert not failures, "\n\n".join(failures.values())


def _fuzz(
    operation: schemathesis.APIOperation,
    mode: GenerationMode,
    role: str,
    headers: dict[str, str],
    ids: dict[str, list[Any]],
    examples: int,
    seen: Counter[str],
    failures: dict[str, str],
) -> None:
    """Run ``examples`` generated cases of one operation, recording every distinct failure."""

    @settings(
        max_examples=examples,
        derandomize=True,  # the same cases on every run, so CI is repeatable
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],  # no shrinking: the first example is reported
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode), data=st.data())
    def run(case: schemathesis.Case, data: st.DataObject) -> None:
        _real(ids, data, case.path_parameters)
        _real(ids, data, case.body if isinstance(case.body, dict) else None)
        _real(ids, data, case.query)
        _bounded(case)
        _check(case, role, headers, mode.value, seen, failures)

    run()


def _check(
    case: schemathesis.Case,
    role: str,
    headers: dict[str, str],
    kind: str,
    seen: Counter[str],
    failures: dict[str, str],
) -> None:
    response = case.call(headers=headers)
    label = case.operation.label
    seen[f"{role} {label} {response.status_code}"] += 1
    try:
        case.validate_response(response, checks=CHECKS, headers=headers)
    except FailureGroup as group:  # keep going: every distinct failure is reported
        for failure in group.exceptions:
            key = f"{role} {label} [{kind}] {failure.title}"
            failures.setdefault(key, f"{key}\n{group.args[0]}")
