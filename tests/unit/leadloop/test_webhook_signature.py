import hashlib
import hmac

import pytest

from leadloop.webhook.signature import answer_challenge, signature_is_valid

SECRET = "app_secret_example"
BODY = b'{"object":"page","entry":[]}'
# Vector from ../shared/reference/meta-api.md §2.4 (self-computed there, independently here).
KNOWN = "sha256=525647799b07d87469d0ffe368a0b5bcdba9bbee0a2d4611e98fcb1ec3db947c"


def test_known_vector_is_accepted():
    assert signature_is_valid(BODY, KNOWN, SECRET)


def test_signature_is_over_raw_bytes_with_escaped_unicode():
    # Given a body as Meta sends it (non-ASCII escaped) and a re-serialised variant
    raw = b'{"name":"J\\u00f6rg"}'
    header = "sha256=" + hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()
    # Then only the exact bytes verify
    assert signature_is_valid(raw, header, SECRET)
    assert not signature_is_valid('{"name":"Jörg"}'.encode(), header, SECRET)


@pytest.mark.parametrize(
    "header",
    [None, "", "sha256=", "sha1=8b791832f115309160c4cfcf83b9ce92d58d73bb", KNOWN[:-1] + "0", "525647799b07d8"],
)
def test_missing_or_wrong_signatures_fail_closed(header):
    assert not signature_is_valid(BODY, header, SECRET)


def test_tampered_body_fails():
    assert not signature_is_valid(BODY.replace(b"[]", b"[{}]"), KNOWN, SECRET)


def test_empty_secret_never_verifies():
    empty = "sha256=" + hmac.new(b"", BODY, hashlib.sha256).hexdigest()
    assert not signature_is_valid(BODY, empty, "")


def test_challenge_echoed_only_for_the_right_token():
    params = {"hub.mode": "subscribe", "hub.verify_token": "tok", "hub.challenge": "1158201444"}
    assert answer_challenge(params, "tok") == "1158201444"
    assert answer_challenge(params | {"hub.verify_token": "nope"}, "tok") is None
    assert answer_challenge(params | {"hub.mode": "unsubscribe"}, "tok") is None
    assert answer_challenge({"hub.mode": "subscribe", "hub.verify_token": "tok"}, "tok") is None
    assert answer_challenge(None, "tok") is None
    assert answer_challenge(params, "") is None
