"""GEN: ``m`` or ``f`` (meta-api.md §7.2); anything else is left blank.

Meta's table names only the two values. We map the spellings lead forms and CRMs actually use:
English words, the single letters, and the words of the languages Meta's lead forms are most
often filled in (Spanish, Portuguese, French, German, Italian). Matching ignores case, accents,
spaces and punctuation. Everything else ("other", "unknown", "prefer not to say", "x") is
``invalid_gender``: guessing would attach a wrong attribute to a person, which peers do
(RudderStack sends ``m``, Castled ``f``, Meta's SDK the first letter).
"""

from __future__ import annotations

from leadloop.audience.reasons import Normalized, Reason, fail
from leadloop.audience.text import ascii_letters

INVALID = fail(Reason.INVALID_GENDER)
_MALE = frozenset({"m", "male", "man", "masculine", "masculino", "hombre", "homem", "homme", "masculin",
                   "mannlich", "maennlich", "mann", "maschio", "uomo"})  # fmt: skip
_FEMALE = frozenset({"f", "female", "woman", "feminine", "femenino", "feminino", "mujer", "mulher", "femme",
                     "feminin", "weiblich", "frau", "femmina", "donna"})  # fmt: skip


def normalize_gender(text: str, country: str | None = None) -> Normalized:
    word = ascii_letters(text)
    if word in _MALE:
        return Normalized("m", None)
    if word in _FEMALE:
        return Normalized("f", None)
    return INVALID
