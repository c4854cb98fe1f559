import hashlib

import pytest
from pydantic import ValidationError

from leadloop.hasher.service import classify
from leadloop.rows.mapping import lead_record
from leadloop.rows.messages import AudienceRowsMessage

H = hashlib.sha256(b"x").hexdigest()


def answers(**fields):
    return [{"name": k, "values": [v]} for k, v in fields.items()]


def test_standard_questions_map_to_schema_keys():
    record = lead_record(
        answers(email="a@b.co", phone_number="+1 555", city="Paris", zip_code="75001", gender="female")
    )
    assert record == {"EMAIL": "a@b.co", "PHONE": "+1 555", "CT": "Paris", "ZIP": "75001", "GEN": "female"}


def test_full_name_splits_into_first_and_last_word():
    assert lead_record(answers(full_name="Mary Ann Smith")) == {"FN": "Mary", "LN": "Smith"}
    assert lead_record(answers(full_name="Cher")) == {"FN": "Cher"}


def test_explicit_first_name_wins_over_full_name_when_it_comes_first():
    record = lead_record(answers(first_name="Maria", full_name="Mary Smith"))
    assert record["FN"] == "Maria" and record["LN"] == "Smith"


def test_date_of_birth_splits_into_year_month_day():
    assert lead_record(answers(date_of_birth="1987-04-09")) == {"DOBY": "1987", "DOBM": "04", "DOBD": "09"}
    assert lead_record(answers(date_of_birth="not a date")) == {}


def test_routing_overrides_and_ignores_fields():
    record = lead_record(answers(work_email="w@b.co", email="a@b.co", q1="Lyon"), {"q1": "CT", "email": "IGNORE"})
    assert record == {"EMAIL": "w@b.co", "CT": "Lyon"}


def test_only_transitions_to_fetched_and_user_deletes_count():
    fetched, pending = {"status": "FETCHED", "leadgen_id": "1"}, {"status": "PENDING"}
    assert classify("INSERT", fetched, None, None).op == "add"
    assert classify("MODIFY", fetched, pending, None).op == "add"
    assert classify("MODIFY", fetched, fetched, None) is None
    assert classify("INSERT", pending, None, None) is None
    assert classify("REMOVE", None, fetched, None).op == "remove"
    assert classify("REMOVE", None, fetched, {"type": "Service", "principalId": "dynamodb.amazonaws.com"}) is None
    assert classify("REMOVE", None, pending, None) is None


def test_messages_refuse_raw_values_in_hashed_columns():
    ok = {
        "audience_id": "1",
        "op": "add",
        "schema": ["EMAIL", "MADID"],
        "rows": [[H, "6d92078a-8246-4ba4-ae5b-76104861e7dc"]],
    }
    assert AudienceRowsMessage.model_validate(ok).rows[0][0] == H
    for bad_rows in ([["mary@example.com", ""]], [[H]], [[H.upper(), ""]]):
        with pytest.raises(ValidationError):
            AudienceRowsMessage.model_validate(ok | {"rows": bad_rows})
    with pytest.raises(ValidationError):
        AudienceRowsMessage.model_validate(ok | {"schema": ["EMAIL", "SSN"]})


def test_ldu_gives_california_codes_only_to_californians():
    from leadloop.rows.policy import with_ldu

    ca = with_ldu({"ST": "California"}, None)
    assert (
        ca["DATA_PROCESSING_OPTIONS"],
        ca["DATA_PROCESSING_OPTIONS_COUNTRY"],
        ca["DATA_PROCESSING_OPTIONS_STATE"],
    ) == ("LDU", "1", "1000")
    ny = with_ldu({"ST": "NY"}, "US")
    assert (
        ny["DATA_PROCESSING_OPTIONS"],
        ny["DATA_PROCESSING_OPTIONS_COUNTRY"],
        ny["DATA_PROCESSING_OPTIONS_STATE"],
    ) == ("LDU", "0", "0")
    abroad = with_ldu(
        {"ST": "CA", "COUNTRY": "Canada"}, None
    )  # CA is also a Canadian province code? no: Canada, so not California
    assert abroad["DATA_PROCESSING_OPTIONS_STATE"] == "0"
    unknown = with_ldu({}, None)
    assert unknown["DATA_PROCESSING_OPTIONS_COUNTRY"] == "0"


def test_a_forgotten_lead_is_removed_from_its_old_image():
    fetched = {"status": "FETCHED", "leadgen_id": "1", "field_data": [{"name": "email", "values": ["a@b.co"]}]}
    change = classify("MODIFY", {"status": "FORGOTTEN", "leadgen_id": "1"}, fetched, None)
    assert change is not None and change.op == "remove" and change.image is fetched


def test_rows_carry_the_routed_account_and_pageuid_pages():
    from leadloop.hasher.service import LeadChange, rows_for
    from leadloop.routing import FormRoute

    image = {"leadgen_id": "5", "form_id": "9", "field_data": answers(email="a@b.co", page_scoped_id="4242")}
    route = FormRoute.model_validate(
        {
            "form_id": "9",
            "page_id": "77",
            "audience_ids": ["111"],
            "account_id": "act_9001",
            "schema": ["EMAIL", "PAGEUID"],
            "field_map": {"page_scoped_id": "PAGEUID"},
        }
    )
    [row] = rows_for(LeadChange("add", image), route)
    assert (row.key.account_id, row.key.page_ids, row.cells[1], row.lead_id) == ("9001", ("77",), "4242", "5")
    plain = route.model_copy(update={"schema_keys": ["EMAIL"], "account_id": None})
    [row] = rows_for(LeadChange("add", image), plain)
    assert (row.key.account_id, row.key.page_ids) == (None, ())
    with pytest.raises(ValidationError):
        FormRoute.model_validate({"form_id": "9", "page_id": "77", "account_id": "9001x"})


def test_refused_cells_are_counted_by_key_for_the_batch():
    from leadloop.hasher.reporting import RejectedCells
    from leadloop.hasher.service import LeadChange, rows_for
    from leadloop.routing import FormRoute

    # Given a batch's tally and three leads with a bad phone, then one with a bad phone and email
    route = FormRoute.model_validate({"form_id": "9", "page_id": "77", "audience_ids": ["111"]})
    rejected = RejectedCells()
    for n in range(3):
        image = {"leadgen_id": str(n), "form_id": "9", "field_data": answers(email=f"p{n}@b.co", phone_number="12")}
        rows_for(LeadChange("add", image), route, rejected)
    image = {"leadgen_id": "9", "form_id": "9", "field_data": answers(email="not-an-email", phone_number="x")}
    # When their rows are made with the tally
    rows_for(LeadChange("add", image), route, rejected)
    # Then the batch's emission counts each key once per rejected cell
    assert rejected.emit() == {"PHONE": 4, "EMAIL": 1}


def test_emitting_the_rejected_cells_resets_the_tally():
    from leadloop.hasher.reporting import RejectedCells

    # Given a tally that has been emitted
    rejected = RejectedCells()
    rejected.count([("PHONE", "invalid_phone")])
    rejected.emit()
    # When it is emitted again
    # Then nothing is published twice
    assert rejected.emit() == {}
