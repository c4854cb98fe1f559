"""``leadloop routing validate``: a good document passes; each kind of error names its form and field."""

from __future__ import annotations

import json
from typing import Any

import pytest

from leadloop_cli.routingdoc import RoutingDocumentError, parse

GOOD: dict[str, Any] = {
    "version": 1,
    "forms": [
        {"form_id": "111", "page_id": "900", "audience_ids": ["501", "502"], "name": "Spring promo — é"},
        {"form_id": 222, "page_id": "900", "audience_ids": ["501"], "schema": ["EMAIL", "PHONE"], "ldu": True},
        {"form_id": "333", "page_id": "901", "default_country": "DE", "account_id": "act_77"},
    ],
}


def problems(document: object) -> list[str]:
    text = document if isinstance(document, str) else json.dumps(document)
    with pytest.raises(RoutingDocumentError) as caught:
        parse(text)
    return caught.value.problems


def with_form(index: int, **changes: object) -> dict:
    forms = [dict(f) for f in GOOD["forms"]]
    forms[index].update(changes)
    return {"version": 1, "forms": forms}


def test_a_good_document_is_summarised_and_stored_without_whitespace():
    document = parse(json.dumps(GOOD, indent=4, ensure_ascii=False))
    assert document.summary().startswith("3 form(s) on 2 Page(s), 2 audience(s) (3 form-audience link(s)),")
    assert document.text == json.dumps(GOOD, separators=(",", ":"), ensure_ascii=False)
    assert " " not in document.text.replace("Spring promo — é", "")
    assert document.size == len(document.text.encode("utf-8"))
    assert document.notes() == ["forms[2] (form_id 333): no audience_ids (leads are stored but feed no audience)"]
    assert document.routing.form("222") is not None


def test_not_json_says_where():
    assert problems('{"version": 1,\n "forms": [}') == ["not JSON: Expecting value at line 2 column 12"]


def test_not_an_object():
    assert problems([1, 2]) == ['the document must be a JSON object: {"version": 1, "forms": [...]}']


def test_wrong_version_and_unknown_top_level_key():
    assert problems({"version": 2, "forms": [], "extra": 1}) == [
        "version: Input should be 1 (got 2)",
        "extra: Extra inputs are not permitted (got 1)",
    ]


@pytest.mark.parametrize(
    ("index", "changes", "expected"),
    [
        (0, {"audience_ids": ["501", "aud-2"]}, "forms[0] (form_id 111): audience_ids[1]: String should match"),
        (1, {"schema": ["EMAIL", "SSN"]}, "forms[1] (form_id 222): schema: Value error, schema has unknown"),
        (2, {"default_country": "DEU"}, "forms[2] (form_id 333): default_country: String should match"),
        (2, {"account_id": "77x"}, "forms[2] (form_id 333): account_id: String should match"),
        (1, {"ldu": "sometimes"}, "forms[1] (form_id 222): ldu: Input should be a valid boolean"),
        (0, {"audiences": ["501"]}, "forms[0] (form_id 111): audiences: Extra inputs are not permitted"),
        (0, {"form_id": "promo"}, "forms[0] (form_id promo): form_id: String should match pattern"),
    ],
)
def test_each_field_error_names_the_form_and_the_field(index, changes, expected):
    found = problems(with_form(index, **changes))
    assert len(found) == 1 and found[0].startswith(expected), found


def test_a_missing_field_names_the_form_without_a_value():
    forms = [{"form_id": "111", "audience_ids": ["501"]}]
    assert problems({"forms": forms}) == ["forms[0] (form_id 111): page_id: Field required"]


def test_a_repeated_form_names_every_place_it_appears():
    forms = [*GOOD["forms"], {"form_id": "111", "page_id": "902"}]
    assert problems({"forms": forms}) == ["form_id 111 appears 2 times: forms[0], forms[3]"]


def test_every_problem_is_listed_at_once():
    document = with_form(0, audience_ids=["x"])
    document["forms"][2]["default_country"] = "Germany"
    found = problems(document)
    assert [p.split(":")[0] for p in found] == ["forms[0] (form_id 111)", "forms[2] (form_id 333)"]
