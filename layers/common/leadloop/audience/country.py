"""COUNTRY: lower-case ISO 3166-1 alpha-2 (meta-api.md §7.2), and the country hint for PHONE/ST/ZIP.

Accepted spellings:

* ISO 3166-1 alpha-2 and alpha-3 codes in any case ("US", "us", "USA", "GBR");
* the ISO short, official and common names from ``pycountry`` ("United States", "Korea, Republic
  of", "South Korea");
* a short alias list of names people actually type (UK, Great Britain, England, Russia, Holland,
  Ivory Coast, Turkey, Czech Republic, UAE, ...) and the endonyms most seen in lead forms
  (Deutschland, España, Brasil, Italia, Schweiz, Nederland, Polska, ...).

Case, accents, spaces and punctuation are ignored ("U.S.A." = "usa", "Côte d'Ivoire" =
"cotedivoire").

Refused (``invalid_country``):

* numbers, including ISO 3166-1 numeric codes ("840", "12", "826"): a number in a country column
  is far more often junk or a misplaced field (a dialling code, a ZIP fragment, a row id) than an
  ISO numeric code, and reading it as one sends the person to the wrong country ("12" would be
  Algeria). A number is not a country hint for PHONE/ST/ZIP either;
* names in non-Latin scripts, and anything else that names no country ("Narnia", "XX", "U1").

Meta's SDKs keep the first two letters ("United States" → ``un``), which is another country's
code or none.

The index is built from pycountry on first use, not at import.
"""

from __future__ import annotations

from functools import cache

from leadloop.audience.reasons import Normalized, Reason, fail
from leadloop.audience.text import ascii_letters, prepare

INVALID = fail(Reason.INVALID_COUNTRY)

_ALIASES = {
    "gb": ("uk", "greatbritain", "britain", "england", "scotland", "wales", "northernireland"),
    "us": ("usa", "unitedstatesofamerica", "america", "unitedstatesamerica", "theunitedstates"),
    "kr": ("korea", "republicofkorea", "korearepublic"),
    "kp": ("northkorea", "dprk", "dprkorea"),
    "ru": ("russia", "rossiya"),
    "nl": ("holland", "thenetherlands", "nederland"),
    "ci": ("ivorycoast",),
    "tr": ("turkey",),
    "cz": ("czechrepublic", "cesko", "ceskarepublika"),
    "ae": ("uae", "emirates"),
    "cd": ("drc", "drcongo", "democraticrepublicofthecongo", "congokinshasa"),
    "cg": ("congobrazzaville", "republicofcongo"),
    "mk": ("macedonia",),
    "sz": ("swaziland",),
    "mm": ("burma",),
    "cv": ("capeverde",),
    "tl": ("easttimor",),
    "va": ("vatican", "vaticancity", "holysee"),
    "ps": ("palestine",),
    "la": ("laos",),
    "sy": ("syria",),
    "tz": ("tanzania",),
    "ve": ("venezuela",),
    "md": ("moldova",),
    "bn": ("brunei",),
    "fm": ("micronesia",),
    "mo": ("macau",),
    "de": ("deutschland",),
    "es": ("espana",),
    "br": ("brasil",),
    "it": ("italia",),
    "ch": ("schweiz", "suisse", "svizzera"),
    "at": ("osterreich", "oesterreich"),
    "be": ("belgie", "belgique", "belgien"),
    "se": ("sverige",),
    "no": ("norge",),
    "dk": ("danmark",),
    "fi": ("suomi",),
    "pl": ("polska",),
    "hu": ("magyarorszag",),
    "gr": ("ellada", "hellas"),
    "hr": ("hrvatska",),
    "rs": ("srbija",),
    "ie": ("eire",),
    "jp": ("nippon", "nihon"),
    "cn": ("zhongguo",),
}


@cache
def _index() -> dict[str, str]:
    """Folded name or alpha-2/alpha-3 code → alpha-2, built from pycountry once."""
    import pycountry

    names: dict[str, str] = {}
    countries = list(pycountry.countries)
    for attr in ("alpha_2", "alpha_3", "name", "common_name", "official_name"):
        for country in countries:
            value = getattr(country, attr, None)
            if value:
                names.setdefault(ascii_letters(value), country.alpha_2.lower())
    for code, aliases in _ALIASES.items():
        for alias in aliases:
            names.setdefault(alias, code)
    return names


def country_code(text: str) -> str | None:
    """The lower-case alpha-2 code that ``text`` names, or None (always for a number: see the module doc)."""
    folded = ascii_letters(text)
    return _index().get(folded) if folded else None


def normalize_country(text: str, country: str | None = None) -> Normalized:
    code = country_code(text)
    return INVALID if code is None else Normalized(code, None)


_MAX_HINTS = 4096


class _Hints(dict[str, str | None]):
    """Hint text → alpha-2 or None, as :func:`country_hint` reads it; a miss computes, a full cache starts over."""

    __slots__ = ()

    def __missing__(self, value: str) -> str | None:
        text = prepare(value)
        found = country_code(text) if isinstance(text, str) else None
        if len(self) >= _MAX_HINTS:
            self.clear()
        self[value] = found
        return found


HINTS = _Hints()
"""Look string hints up here directly (``HINTS[text]``) where a call per row counts."""


def country_hint(value: object) -> str | None:
    """A caller's country hint ("US", "us", "USA", "United States") as alpha-2, or None if it names none."""
    return HINTS[value] if type(value) is str else None
