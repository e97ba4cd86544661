import pytest

from edupush_token.wire import WireError
from edupush_token.wire.dart_url import canonical_url


@pytest.mark.parametrize(
    "given, canonical",
    [
        ("https://edumfa.example/ttype/edupushplus", "https://edumfa.example/ttype/edupushplus"),
        ("HTTPS://EduMFA.Example/ttype/edupushplus", "https://edumfa.example/ttype/edupushplus"),
        ("https://edumfa.example:443/ttype/x", "https://edumfa.example/ttype/x"),
        ("http://edumfa.example:80/ttype/x", "http://edumfa.example/ttype/x"),
        ("https://edumfa.example:8443/ttype/x", "https://edumfa.example:8443/ttype/x"),
        ("http://edumfa.example:443/x", "http://edumfa.example:443/x"),
        ("https://h/a/./b/../c", "https://h/a/c"),
        ("https://h/../x/.", "https://h/x/"),
        ("https://h/a%7e%2f", "https://h/a~%2F"),
        ("https://h/a b", "https://h/a%20b"),
        ("https://h/caf\u00e9", "https://h/caf%C3%A9"),
        ("https://h", "https://h"),
        ("https://[::1]:5000/x", "https://[::1]:5000/x"),
        ("https://user:pw@H/x", "https://user:pw@h/x"),
    ],
)
def test_canonical_form_matches_dart(given, canonical):
    assert canonical_url(given) == canonical


def test_canonical_form_is_stable():
    url = "HTTPS://Example.COM:443/a/./b/../c%7e%2f"
    assert canonical_url(canonical_url(url)) == canonical_url(url)


@pytest.mark.parametrize("bad", ["ftp://h/x", "edumfa.example/ttype", "https:///x", "https://h:99999/x", ""])
def test_refuses_what_the_app_cannot_use(bad):
    with pytest.raises(WireError):
        canonical_url(bad)
