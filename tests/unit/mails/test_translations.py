"""The catalogs (L1): every text marked in the code is translated into Dutch and German,
nothing is left fuzzy, and a translation keeps exactly the placeholders of its English
text — a missing `%(link)s` would drop the link from a mail. The texts are found with
Babel's own extraction, the same as `make messages` runs."""
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from domain.core.translations import catalog_path, translations

ROOT = Path(__file__).resolve().parents[3]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None, "plural": (1, 2)}
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")
LANGUAGES = ("nl", "de")


def _extracted() -> set[str]:
    found: set[str] = set()
    for folder in ("domain", "auth"):
        for _file, _line, message, _comments, _context in extract_from_dir(
                ROOT / folder, method_map=[("**.py", "python")], keywords=KEYWORDS):
            found.add(message[0] if isinstance(message, tuple) else message)
    return found


def _catalog(language: str):
    with catalog_path(language).open("rb") as source:
        return read_po(source, locale=language)


@pytest.mark.parametrize("language", LANGUAGES)
def test_l1_every_text_in_the_code_is_translated(language):
    catalog = _catalog(language)
    translated = {message.id if isinstance(message.id, str) else message.id[0]: message
                  for message in catalog if message.id}
    extracted = _extracted()
    assert len(extracted) > 100  # the mails, the PDF and the archive
    missing = sorted(text for text in extracted if text not in translated)
    assert missing == [], f"{language}: run `make messages` and translate {missing[:5]}"
    untranslated = sorted(message_id for message_id, message in translated.items()
                          if message.fuzzy or not (message.string if isinstance(message.string, str)
                                                   else all(message.string)))
    assert untranslated == [], f"{language}: not translated: {untranslated[:5]}"
    obsolete = sorted(set(translated) - extracted)
    assert obsolete == [], f"{language}: no longer in the code: {obsolete[:5]}"


def mismatched_placeholders(catalog) -> list:
    """Messages whose translation (any plural form) has other placeholders than the English."""
    wrong = []
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = set().union(*(PLACEHOLDER.findall(text) for text in ids))
        wrong += [(message.id, string) for string in strings if set(PLACEHOLDER.findall(string)) != wanted]
    return wrong


@pytest.mark.parametrize("language", LANGUAGES)
def test_l1_a_translation_keeps_every_placeholder(language):
    assert mismatched_placeholders(_catalog(language)) == []


def test_l1_a_lost_or_renamed_placeholder_is_caught():
    from babel.messages.catalog import Catalog

    catalog = Catalog(locale="nl")
    catalog.add("Open %(link)s", "Open de link", flags=["python-format"])
    catalog.add("Until %(until)s", "Tot %(tot)s", flags=["python-format"])
    catalog.add(("%(n)s hour", "%(n)s hours"), ("%(n)s uur", "uren"), flags=["python-format"])
    catalog.add("Fine %(x)s", "Goed %(x)s", flags=["python-format"])
    assert [message_id for message_id, _ in mismatched_placeholders(catalog)] == [
        "Open %(link)s", "Until %(until)s", ("%(n)s hour", "%(n)s hours")]


def test_l1_catalogs_compile_from_the_po_files_at_run_time():
    assert translations("NL").gettext("Hello,") == "Goedendag,"
    assert translations("DE").gettext("Hello,") == "Guten Tag,"
    assert translations("EN").gettext("Hello,") == "Hello,"
    assert translations("DE").ngettext("The link works for %(n)s hour and only once.",
                                       "The link works for %(n)s hours and only once.", 2) \
        == "Der Link gilt %(n)s Stunden und nur einmal."
