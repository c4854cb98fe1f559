"""The shortcuts for plain input give the full rules' value or step aside (None), never another value."""

import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadloop.audience import normalize
from leadloop.audience.email import fast_email
from leadloop.audience.location import fast_city
from leadloop.audience.names import fast_initial, fast_name, name_letters

PROFILE = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
NAMES = ["Mary", " José ", "Jose\u0301", "Zoë", "O'Brien", "Anne-Marie", "Nguyễn", "Øvergaard", "정", "Ἀθηνᾶ",
         "N/A", "null", "N.ull", "Undefined", "None", "Kraków", "São Paulo", "ß", "ǅ", "\u00a0Mary", "Mary\u200b",
         "देवनागरी", "a\ufe0fb", "1987", "", "   ", "Mary2", "K\u212a", "ᄀ-ᅡ"]  # fmt: skip
any_text = st.text(st.characters(codec=None, exclude_categories=()), max_size=24)
names = st.one_of(st.sampled_from(NAMES), any_text, st.builds(lambda a, b: a + b, st.sampled_from(NAMES), any_text))


def _name_letters_by_category(text: str) -> str:
    """The FN/LN letter rule spelled out character by character (the reference for the fast path)."""
    kept: list[str] = []
    after_letter = False
    for ch in unicodedata.normalize("NFC", text.lower()):
        major = unicodedata.category(ch)[0]
        if major == "L":
            kept.append(ch)
            after_letter = True
        elif major == "M" and after_letter and not ("\ufe00" <= ch <= "\ufe0f" or "\U000e0100" <= ch <= "\U000e01ef"):
            kept.append(ch)
        else:
            after_letter = False
    return unicodedata.normalize("NFC", "".join(kept))


@PROFILE
@given(value=names)
def test_name_letters_is_the_rule_by_category(value):
    assert name_letters(value) == _name_letters_by_category(value)


@PROFILE
@given(value=names)
def test_letter_shortcuts_agree_with_the_full_rules(value):
    assert fast_name(value, None) in (None, normalize("FN", value))
    assert fast_initial(value, None) in (None, normalize("FI", value))
    assert fast_city(value, None) in (None, normalize("CT", value))


@pytest.mark.parametrize(("value", "name", "city"), [("  Mary Ann ", "maryann", "maryann"), ("José", "josé", "jose")])
def test_letter_shortcuts_answer_plain_names_in_any_script(value, name, city):
    assert fast_name(value, None) == name
    assert fast_city(value, None) == city


@pytest.mark.parametrize("value", ["N/A", "null", "None", "Mary\u200b", "Jose\u0301", "\u00a0Mary", "", "1987"])
def test_letter_shortcuts_step_aside_for_what_the_full_rules_must_read(value):
    assert fast_name(value, None) is None


@PROFILE
@given(
    local=st.one_of(st.from_regex(r"[A-Za-z0-9._%+'\-]{0,70}", fullmatch=True), st.text(max_size=12)),
    domain=st.one_of(
        st.sampled_from(["example.com", "Mail.Example.CO.UK", "x_y.com", "a.b", "123.45", "-x.com", "ex--ample.io"]),
        st.text(max_size=12),
    ),
    at=st.sampled_from(["@", "@@", ""]),
)
def test_the_email_shortcut_agrees_with_the_full_rules(local, domain, at):
    value = f" {local}{at}{domain} "
    assert fast_email(value) in (None, normalize("EMAIL", value))
