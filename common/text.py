"""Normalisation of codes and names typed by people, often in Japanese input modes."""

import unicodedata


def clean_code(value: str) -> str:
    """The stored form of a code: NFKC (full-width letters and digits become ASCII), trimmed."""
    return unicodedata.normalize("NFKC", value or "").strip()


def code_key(value: str | None) -> str | None:
    """The form uniqueness is judged on: ``ＣＯＮＮＥＣＴ``, ``connect``, ``CONNECT`` share it."""
    if value is None:
        return None
    return unicodedata.normalize("NFKC", value).strip().upper()
