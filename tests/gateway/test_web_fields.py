"""Forms drawn from the schema they fill: the web names and places each field; required, number
and limits are the schema's (the gear item form's details)."""

from __future__ import annotations

import pytest
from flask import Flask
from flask_babel import Babel

from tripbot.gateway.web.fields import Widget, form_fields
from tripbot.gateway.web.gear import ITEM_WIDGETS
from tripbot.gear.schemas import ITEM_DETAILS, MAX_WEIGHT_GRAMS, ItemDetails


@pytest.fixture(autouse=True)
def _words() -> object:
    """Lazy labels are worded inside an application with Babel."""
    app = Flask(__name__)
    Babel(app)
    with app.test_request_context():
        yield


def test_every_detail_of_an_item_has_its_place_on_the_form() -> None:
    assert set(ITEM_WIDGETS) == set(ITEM_DETAILS)
    drawn = {field.name: field for field in form_fields(ItemDetails, ITEM_DETAILS, ITEM_WIDGETS)}
    assert list(drawn) == list(ITEM_DETAILS)
    assert (drawn["name"].required, drawn["name"].type, drawn["name"].attrs) == (True, "text", {})
    assert drawn["description"].textarea
    assert not drawn["description"].required
    weight = drawn["weight_grams"]
    assert (weight.type, weight.attrs) == ("number", {"min": "0", "max": str(MAX_WEIGHT_GRAMS)})
    assert str(weight.label) == "Weight of one, in grams"
    assert weight.width == "s12 m4"


def test_a_field_without_a_widget_fails_at_once() -> None:
    with pytest.raises(KeyError, match="category"):
        form_fields(ItemDetails, ITEM_DETAILS, {"name": Widget(ITEM_WIDGETS["name"].label)})
