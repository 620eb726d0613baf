"""Unit labels are unique per item whatever their letters (found by the API fuzzer: a repeated
non-ASCII label passed SQLite's ASCII-only lower() and broke the unique index, a 500)."""

from __future__ import annotations

import httpx
import pytest

from tests.builders import a_gear_keeper_in
from tests.problems import assert_problem
from tripbot.system import System


@pytest.mark.parametrize(
    "again", ["Õ1", "õ1", "Ñandú", "ÑANDÚ"], ids=["same", "lower", "capital", "upper"]
)
def test_a_unit_label_taken_in_any_case_is_a_conflict(
    system: System, http: httpx.Client, again: str
) -> None:
    keeper = a_gear_keeper_in(system)
    units = [{"label": "Õ1"}, {"label": "ñandú"}]
    body = {"name": "Tienda", "category": "Refugio", "tracking": "units", "units": units}
    item = http.post("/api/v1/gear/items", json=body, headers=keeper.headers)
    assert item.status_code == 201, item.text
    url = f"/api/v1/gear/items/{item.json()['id']}/units"

    added = http.post(url, json={"label": again}, headers=keeper.headers)

    assert_problem(added, 409, "conflict", "already has a unit labelled")
    listed = http.get(url, headers=keeper.headers).json()
    assert {unit["label"] for unit in listed} == {"Õ1", "ñandú"}
    other = http.post(url, json={"label": "Õ2"}, headers=keeper.headers)
    assert other.status_code == 201, other.text


def test_relabelling_a_unit_to_a_taken_label_is_a_conflict(
    system: System, http: httpx.Client
) -> None:
    keeper = a_gear_keeper_in(system)
    units = [{"label": "Á1"}, {"label": "B2"}]
    body = {"name": "Tienda", "category": "Refugio", "tracking": "units", "units": units}
    item = http.post("/api/v1/gear/items", json=body, headers=keeper.headers).json()
    url = f"/api/v1/gear/items/{item['id']}/units"
    second = next(u for u in http.get(url, headers=keeper.headers).json() if u["label"] == "B2")

    moved = http.patch(f"{url}/{second['id']}", json={"label": "á1"}, headers=keeper.headers)

    assert_problem(moved, 409, "conflict", "already has a unit labelled")
