"""Messages a person reads outside the API, in the account's language (L1).

The texts are written in English in the code, marked with `gettext` / `ngettext` (and
`N_` where a text is named before a language is known), extracted with Babel into
`domain/locales/casebook.pot` (`make messages`), and translated in
`domain/locales/<nl|de>/LC_MESSAGES/casebook.po`. The catalogs are compiled from the
`.po` files when first asked for, in memory, so a fresh clone works with no compile step
and a stale `.mo` file cannot exist. Placeholders are `%(name)s`, checked per language
by tests/unit/mails/test_translations.py.

English needs no catalog: the msgids are the English texts."""
from __future__ import annotations

from functools import lru_cache
from gettext import NullTranslations
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from domain.core.locale_format import babel_locale

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
DOMAIN = "casebook"


def N_(message: str) -> str:
    """Marks a text for extraction where it is translated later (a table of labels)."""
    return message


def catalog_path(language: str) -> Path:
    return LOCALES_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@lru_cache(maxsize=None)
def translations(locale: str | None) -> NullTranslations:
    """The compiled catalog of `NL`, `DE` or `EN` (English: the texts as written)."""
    language = babel_locale(locale)
    path = catalog_path(language)
    if language == "en" or not path.exists():
        return NullTranslations()
    with path.open("rb") as source:
        catalog = read_po(source, locale=language, domain=DOMAIN)
    compiled = BytesIO()
    # Fuzzy entries are left out, as msgfmt does: a guess is not a translation.
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)
