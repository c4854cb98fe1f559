"""COUNTRY: lower-case ISO 3166-1 alpha-2 (meta-api.md §7.2), and the country hint for PHONE/ST/ZIP.

Accepted: alpha-2 and alpha-3 codes in any case, ISO numeric codes, the ISO short, official and
common names from ``pycountry`` ("United States", "Korea, Republic of", "South Korea"), and a
short alias list of names people actually type (USA, UK, Great Britain, England, Russia, Holland,
Ivory Coast, Turkey, Czech Republic, UAE, ...) plus the endonyms most seen in lead forms
(Deutschland, España, Brasil, Italia, Schweiz, Nederland, Polska, ...). Case, accents, spaces and
punctuation are ignored ("U.S.A." = "usa", "Côte d'Ivoire" = "cotedivoire"). Names in
non-Latin scripts are not recognised. Meta's SDKs keep the first two letters ("United States" →
``un``), which is another country's code or none.

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
def _index() -> tuple[dict[str, str], dict[str, str]]:
    """(folded name or code → alpha-2, numeric code → alpha-2), built from pycountry once."""
    import pycountry

    names: dict[str, str] = {}
    numeric: dict[str, str] = {}
    countries = list(pycountry.countries)
    for attr in ("alpha_2", "alpha_3", "name", "common_name", "official_name"):
        for country in countries:
            value = getattr(country, attr, None)
            if value:
                names.setdefault(ascii_letters(value), country.alpha_2.lower())
    for country in countries:
        numeric[country.numeric] = country.alpha_2.lower()
    for code, aliases in _ALIASES.items():
        for alias in aliases:
            names.setdefault(alias, code)
    return names, numeric


def country_code(text: str) -> str | None:
    """The lower-case alpha-2 code that ``text`` names, or None."""
    names, numeric = _index()
    if text.isascii() and text.isdigit():
        return numeric.get(text.zfill(3)) if len(text) <= 3 else None
    folded = ascii_letters(text)
    return names.get(folded) if folded else None


def normalize_country(text: str, country: str | None = None) -> Normalized:
    code = country_code(text)
    return INVALID if code is None else Normalized(code, None)


_HINTS: dict[str, str | None] = {}
_MAX_HINTS = 4096


def country_hint(value: object) -> str | None:
    """A caller's country hint ("US", "us", "USA", "United States") as alpha-2, or None if it names none."""
    if type(value) is not str:
        return None
    if value in _HINTS:
        return _HINTS[value]
    text = prepare(value)
    found = country_code(text) if isinstance(text, str) else None
    if len(_HINTS) >= _MAX_HINTS:
        _HINTS.clear()
    _HINTS[value] = found
    return found
