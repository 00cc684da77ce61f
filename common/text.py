"""Normalisation of codes and names typed by people, often in Japanese input modes.

Text is stored as it was written (codes after NFKC, names as typed); records are matched, and kept
unique, on ``code_key``. A CSV saved on Japanese Windows is cp932, whose bytes 0x8160 and 0x817C
read as ～ FULLWIDTH TILDE and － FULLWIDTH HYPHEN-MINUS, where a Mac or a browser writes the same
marks as 〜 WAVE DASH and − MINUS SIGN. The key folds such variants together: either spelling
finds the same record, and the database refuses a second record that differs only by one.
"""

import unicodedata

# Variants folded to one character after NFKC (which already turns ～ into ~ and － into -, but
# leaves the forms a Mac or a browser writes). Each is a variant people take for the folded one.
FOLDED_VARIANTS = {
    "~": (
        "\u301c"  # 〜 WAVE DASH (cp932 0x8160 as a Mac or a browser reads it)
        "\u223c"  # ∼ TILDE OPERATOR
        "\u2053"  # ⁓ SWUNG DASH
    ),
    "-": (
        "\u2212"  # − MINUS SIGN (cp932 0x817C as a Mac or a browser reads it)
        "\u2010"  # ‐ HYPHEN (and U+2011 NON-BREAKING HYPHEN, which NFKC makes U+2010)
        "\u2012"  # ‒ FIGURE DASH
        "\u2013"  # – EN DASH
        "\u2014"  # — EM DASH (cp932 0x815C as a Mac reads it)
        "\u2015"  # ― HORIZONTAL BAR (cp932 0x815C as Windows reads it)
        "\u2e3a"  # ⸺ TWO-EM DASH
        "\u2e3b"  # ⸻ THREE-EM DASH
    ),
    "\u2016": "\u2225",  # ∥ PARALLEL TO (cp932 0x8161 on Windows) for ‖ DOUBLE VERTICAL LINE
}
FOLD_FROM = "".join(FOLDED_VARIANTS.values())
FOLD_TO = "".join(target * len(variants) for target, variants in FOLDED_VARIANTS.items())
FOLD = str.maketrans(FOLD_FROM, FOLD_TO)
# The white space ``str.strip()`` trims that NFKC leaves as it is (NFKC turns the others, such as
# the ideographic space U+3000, into a plain space). Named, so that the database trims the same.
TRIMMED = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\u1680\u2028\u2029"


def clean_code(value: str) -> str:
    """The stored form of a code: NFKC (full-width letters and digits become ASCII), trimmed."""
    return unicodedata.normalize("NFKC", value or "").strip()


def code_key(value: str | None) -> str | None:
    """The form matching and uniqueness are judged on.

    ``ＣＯＮＮＥＣＴ``, ``connect`` and ``CONNECT`` share it, and so do ``10月〜12月`` and
    ``10月～12月``, or ``KU−1`` and ``KU－1``: NFKC, the variants of ``FOLDED_VARIANTS`` folded,
    trimmed, upper case (full case mapping: ``ß`` is ``SS``). ``common.db.CodeKey`` computes the
    same in the database; the two must stay equal, character for character.
    """
    if value is None:
        return None
    return unicodedata.normalize("NFKC", value).translate(FOLD).strip(TRIMMED).upper()
