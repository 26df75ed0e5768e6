"""The characters that text shown to people may not hold: one rule for the names of
organizations and users (keys.py) and for a conversation's model handle (conversations.py).

Refused are invisible characters, or ones that rearrange, break or recolour the text printed
around them (controls, bidi and other format characters, line and paragraph separators), and
what is not a character (surrogates, private use, unassigned), by their Unicode category.
"""

import unicodedata

REFUSED_CATEGORIES = {
    "Cc": "a control character",
    "Cf": "a format character",
    "Zl": "a line separator",
    "Zp": "a paragraph separator",
    "Cs": "a surrogate",
    "Co": "a private-use character",
    "Cn": "an unassigned code point",
}


def refused_character(text: str) -> str | None:
    """Which character of text is refused, and why ("character 3 is U+202E, a format
    character"), without quoting the text; None when every character is allowed."""
    for position, character in enumerate(text, start=1):
        refused = REFUSED_CATEGORIES.get(unicodedata.category(character))
        if refused is not None:
            return f"character {position} is U+{ord(character):04X}, {refused}"
    return None
