"""Password hashing, salts, safe_join, is_safe_redirect."""

from __future__ import annotations

import pytest

from stein.security import (
    check_password_hash,
    gen_salt,
    generate_password_hash,
    is_safe_redirect,
    safe_join,
)


def test_default_is_scrypt_with_format() -> None:
    h = generate_password_hash("secret")
    method, salt, digest = h.split("$")
    assert method == "scrypt:32768:8:1"
    assert len(salt) == 16 and salt.isalnum()
    assert len(digest) == 128 and int(digest, 16) >= 0  # 64 bytes as hex
    assert check_password_hash(h, "secret")
    assert not check_password_hash(h, "Secret")
    assert not check_password_hash(h, "")


def test_salted_hashes_differ() -> None:
    a = generate_password_hash("pw", method="scrypt:1024:8:1")
    b = generate_password_hash("pw", method="scrypt:1024:8:1")
    assert a != b
    assert check_password_hash(a, "pw") and check_password_hash(b, "pw")


def test_pbkdf2() -> None:
    h = generate_password_hash("pw", method="pbkdf2:sha256:1000", salt_length=8)
    assert h.startswith("pbkdf2:sha256:1000$")
    assert len(h.split("$")[1]) == 8
    assert check_password_hash(h, "pw")
    assert not check_password_hash(h, "pw2")
    h2 = generate_password_hash("pw", method="pbkdf2")
    assert h2.startswith("pbkdf2:sha256:1000000$")


def test_unicode_password() -> None:
    h = generate_password_hash("pässwörd✓", method="scrypt:1024:8:1")
    assert check_password_hash(h, "pässwörd✓")
    assert not check_password_hash(h, "passwort")


@pytest.mark.parametrize("bad", ["", "nodollar", "md5$salt$abc", "scrypt:x:y:z$s$00", "pbkdf2:sha256:nan$s$00"])
def test_malformed_hash_is_false(bad: str) -> None:
    assert check_password_hash(bad, "pw") is False


def test_unknown_method_raises() -> None:
    with pytest.raises(ValueError, match="Invalid hash method 'md5'"):
        generate_password_hash("pw", method="md5")


def test_gen_salt() -> None:
    assert len(gen_salt(22)) == 22
    assert gen_salt(30) != gen_salt(30)
    with pytest.raises(ValueError, match="at least 1"):
        gen_salt(0)


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        (("a.txt",), "/srv/a.txt"),
        (("sub/b.txt",), "/srv/sub/b.txt"),
        (("sub", "c.txt"), "/srv/sub/c.txt"),
        (("sub/../c.txt",), "/srv/c.txt"),  # normalises inside the folder
        (("./d.txt",), "/srv/d.txt"),
    ],
)
def test_safe_join_ok(parts: tuple[str, ...], expected: str) -> None:
    assert safe_join("/srv", *parts) == expected


@pytest.mark.parametrize(
    "bad",
    ["..", "../etc/passwd", "a/../../b", "/etc/passwd", "C:\\Windows", "C:foo", "c:/x",
     "sub\\..\\..\\x", "a\x00b", "//server/share"],
)
def test_safe_join_rejects(bad: str) -> None:
    assert safe_join("/srv", bad) is None
    assert safe_join("/srv", "ok", bad) is None


def test_safe_join_empty_directory() -> None:
    assert safe_join("", "x.txt") == "./x.txt"


@pytest.mark.parametrize(
    ("target", "ok"),
    [
        ("/account", True),
        ("/a?next=//x", True),
        ("http://localhost/x", True),
        ("https://localhost/x", True),
        ("//evil.example/", False),
        ("https://evil.example/", False),
        ("javascript:alert(1)", False),
        ("/\\evil.example", False),
        ("", False),
        (None, False),
    ],
)
def test_is_safe_redirect(target: str | None, ok: bool) -> None:
    assert is_safe_redirect(target, "http://localhost/") is ok
