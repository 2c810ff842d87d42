"""Password hashing and safe path joining.

Hashes are stored as ``method$salt$hexdigest`` where ``method`` names the algorithm and its
cost, e.g. ``scrypt:32768:8:1$0pG...$9f2c...`` or ``pbkdf2:sha256:1000000$...``. The
format carries everything needed to check a password later, so the cost can be raised for
new hashes while old ones still verify. Only the standard library (``hashlib``) is used.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import posixpath
import secrets

SALT_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
DEFAULT_PBKDF2_ITERATIONS = 1_000_000

# Separators other than "/" that an OS might treat as a path separator.
_os_alt_seps = [sep for sep in (os.sep, os.path.altsep) if sep is not None and sep != "/"]


def gen_salt(length: int) -> str:
    """A random string of ``length`` letters and digits, from :mod:`secrets`."""
    if length <= 0:
        raise ValueError("Salt length must be at least 1.")
    return "".join(secrets.choice(SALT_CHARS) for _ in range(length))


def _hash_internal(method: str, salt: str, password: str) -> tuple[str, str]:
    """``(hexdigest, method_with_parameters)`` for ``password`` under ``method``."""
    name, *args = method.split(":")
    salt_b = salt.encode()
    password_b = password.encode()
    if name == "scrypt":
        if not args:
            n, r, p = 2**15, 8, 1
        else:
            try:
                n, r, p = map(int, args[:3])
            except ValueError:
                raise ValueError("'scrypt' takes 3 integer arguments: 'scrypt:n:r:p'.") from None
        # Memory needed is 128 * n * r bytes; allow it with some headroom.
        maxmem = 132 * n * r * p
        digest = hashlib.scrypt(password_b, salt=salt_b, n=n, r=r, p=p, maxmem=maxmem)
        return digest.hex(), f"scrypt:{n}:{r}:{p}"
    if name == "pbkdf2":
        hash_name = args[0] if args else "sha256"
        try:
            iterations = int(args[1]) if len(args) > 1 else DEFAULT_PBKDF2_ITERATIONS
        except ValueError:
            raise ValueError("'pbkdf2' iterations must be an integer: 'pbkdf2:sha256:600000'.") from None
        digest = hashlib.pbkdf2_hmac(hash_name, password_b, salt_b, iterations)
        return digest.hex(), f"pbkdf2:{hash_name}:{iterations}"
    raise ValueError(f"Invalid hash method {name!r}: use 'scrypt' or 'pbkdf2'.")


def generate_password_hash(password: str, method: str = "scrypt", salt_length: int = 16) -> str:
    """Hash ``password`` with a random salt for storage.

    ``method`` is ``"scrypt"`` (default, ``scrypt:n:r:p`` to set the cost) or
    ``"pbkdf2"`` (``pbkdf2:sha256:iterations``).

    >>> h = generate_password_hash("hunter2")
    >>> h.startswith("scrypt:32768:8:1$")
    True
    >>> check_password_hash(h, "hunter2")
    True
    """
    salt = gen_salt(salt_length)
    digest, actual_method = _hash_internal(method, salt, password)
    return f"{actual_method}${salt}${digest}"


def check_password_hash(pwhash: str, password: str) -> bool:
    """Whether ``password`` matches a hash made by :func:`generate_password_hash`.

    The comparison is constant-time; a malformed hash gives ``False``.
    """
    try:
        method, salt, hashval = pwhash.split("$", 2)
    except ValueError:
        return False
    try:
        digest = _hash_internal(method, salt, password)[0]
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(digest, hashval)


def safe_join(directory: str, *pathnames: str) -> str | None:
    """Join ``pathnames`` under ``directory``, or ``None`` if the result could leave it.

    Rejected: ``..`` segments, absolute paths, Windows drive letters and backslashes,
    NUL bytes, and names that are empty after normalisation.

    >>> safe_join("/srv/static", "css/site.css")
    '/srv/static/css/site.css'
    >>> safe_join("/srv/static", "../secret") is None
    True
    """
    if not directory:
        # Relative to the current folder, like os.path.join("", name).
        directory = "."
    parts = [directory]
    for filename in pathnames:
        if filename != "":
            filename = posixpath.normpath(filename)
        if (
            "\x00" in filename
            or "\\" in filename
            or any(sep in filename for sep in _os_alt_seps)
            or os.path.isabs(filename)
            or filename.startswith("/")
            # "C:foo" is relative to the current folder of drive C on Windows.
            or (len(filename) >= 2 and filename[1] == ":" and filename[0].isalpha())
            or filename == ".."
            or filename.startswith("../")
        ):
            return None
        parts.append(filename)
    return posixpath.join(*parts)


def is_safe_redirect(target: str | None, host_url: str) -> bool:
    """Whether ``target`` (e.g. a ``?next=`` value) stays on the site at ``host_url``.

    Relative paths (``/account``) are safe; absolute URLs must have the same scheme class
    (http/https) and host. Scheme-relative ``//evil.example`` and backslash tricks are not.

    >>> is_safe_redirect("/account", "http://localhost/")
    True
    >>> is_safe_redirect("//evil.example/", "http://localhost/")
    False
    """
    from urllib.parse import urlsplit

    if not target or any(c in target for c in "\\\r\n\t\x00"):
        return False
    ref = urlsplit(host_url)
    test = urlsplit(target)
    if not test.scheme and not test.netloc:
        return not target.startswith("//")
    return test.scheme in ("http", "https") and test.netloc == ref.netloc
