"""PHONE: the fast path gives exactly the phonenumbers-based answer, on every region's numbers."""

import random

import phonenumbers
import pytest
from phonenumbers import PhoneNumberFormat, PhoneNumberType

from leadloop.audience import normalize
from leadloop.audience.phone import _fast, _slow, fast_phone
from leadloop.audience.phonemeta import known_region

TYPES = [PhoneNumberType.FIXED_LINE, PhoneNumberType.MOBILE, PhoneNumberType.TOLL_FREE, PhoneNumberType.VOIP,
         PhoneNumberType.PERSONAL_NUMBER, PhoneNumberType.UAN, PhoneNumberType.PREMIUM_RATE]  # fmt: skip


def _inputs(rng):
    """Every region's example numbers in the ways people write them, plus near misses and digit soup."""
    regions = sorted(phonenumbers.SUPPORTED_REGIONS)
    for region in regions:
        for kind in TYPES:
            example = phonenumbers.example_number_for_type(region, kind)
            if example is None:
                continue
            code, nsn = example.country_code, phonenumbers.national_significant_number(example)
            for variant in (nsn, nsn[:-1], nsn + "7", nsn[:-1] + str(rng.randrange(10))):
                yield f"+{code} {variant}", None
                yield f"00{code}{variant}", region
                yield f"{code}{variant}", region
                yield variant, region
                yield "0" + variant, region
                yield f"{code}{variant}", None
                yield variant, rng.choice(regions)
            number = phonenumbers.parse(f"+{code}{nsn}")
            yield phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL), region
            yield phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL), rng.choice(regions)
    for _ in range(2000):
        digits = "".join(rng.choice("0123456789") for _ in range(rng.randint(3, 16)))
        yield rng.choice(["", "+", "00", "0", "1"]) + digits, rng.choice([*regions, None, None])


def test_fast_path_agrees_with_phonenumbers_everywhere_it_answers():
    rng = random.Random(20260409)
    answered = 0
    for text, country in _inputs(rng):
        region = known_region(country) if country else None
        fast = _fast(text, region)
        if fast is None:
            continue
        answered += 1
        assert fast == _slow(text, region), (text, country)
    assert answered > 20000


@pytest.mark.parametrize(
    ("text", "country", "expected"),
    [
        ("tel: +1-650-253-0000", None, "16502530000"),  # letters around the number
        ("+1 650 253 0000 x12", None, "16502530000"),
        ("٠٧٩١١ ١٢٣٤٥٦", "gb", "447911123456"),  # Arabic-Indic digits
        ("+800 1234 5678", None, "80012345678"),  # non-geographic calling code (phonenumbers path)
        ("1-800-FLOWERS", "us", "18003569377"),  # a vanity number, as libphonenumber reads it
        ("011 15-1234-5678", "ar", "5491112345678"),  # Argentina: 0 + area + 15 becomes 9 + area (a transform rule)
    ],
)
def test_inputs_left_to_phonenumbers(text, country, expected):
    assert fast_phone(text, country) is None
    assert normalize("PHONE", text, country=country) == expected


def test_the_fast_shortcut_only_answers_for_valid_numbers():
    assert fast_phone("(650) 253-0000", "us") == "16502530000"
    assert fast_phone("(650) 253-000", "us") is None
    assert fast_phone("(555) 987-6543", "us") == "15559876543"
