"""The font every PDF Casebook writes is set in (dossier exports, invoices): DejaVu Sans
(domain/core/fonts, its licence beside it) — Latin, Greek and Cyrillic, embedded as a
subset, so names such as "Zoë Brontë", "Łukasz" or "Şahin" print as written. A character
it has no glyph for prints as "?"; the JSON beside each PDF holds the exact text."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from fontTools.ttLib import TTFont

FONTS = Path(__file__).parent / "fonts"
REGULAR, BOLD = FONTS / "DejaVuSans.ttf", FONTS / "DejaVuSans-Bold.ttf"
FAMILY = "DejaVu"


@lru_cache(maxsize=1)
def _glyphs() -> frozenset[int]:
    font = TTFont(str(REGULAR), lazy=True)
    try:
        return frozenset(font.getBestCmap())
    finally:
        font.close()


def printable(text: str | None) -> str:
    """Text the font can draw: tabs as spaces, other control and unknown characters as "?"."""
    if not text:
        return ""
    glyphs = _glyphs()
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", "    ")
    return "".join(ch if ch == "\n" or (ord(ch) >= 32 and ord(ch) in glyphs) else "?" for ch in text)
