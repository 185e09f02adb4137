"""Entries and dossiers of a page are built without the dataclass's keyword `__init__`
(`Entry.from_row`, `Dossier.from_model`): they must equal objects built through it, and
writers are shared objects that never mix two writers or two addresses."""
from __future__ import annotations

import dataclasses
from datetime import datetime, timezone

from infra.db import Row
from schema.dossiers.content import Author, Entry, EntryKind
from schema.dossiers.types import Dossier, FreeField
from schema.relay import to_global_id

WRITTEN = datetime(2026, 3, 1, 9, 30, tzinfo=timezone.utc)


def _row(**changes) -> Row:
    columns = dict(id=41, account_id=3, dossier_id=9, kind="REPORT", current_version=2, body="Seen today.",
                   author_user_id=5, author_email="ann@example.org", written_at=WRITTEN)
    return Row(**{**columns, **changes})


def test_an_entry_from_a_row_equals_one_built_through_its_init():
    built = Entry(id=to_global_id("Entry", 41), kind=EntryKind.REPORT, body="Seen today.", version=2,
                  author=Author(user_id=to_global_id("User", 5), email="ann@example.org"), written_at=WRITTEN,
                  pk=41, dossier_id=9, account_id=3)
    entry = Entry.from_row(_row())
    assert entry == built
    # Every field is set, the private ones too (a field added later must be set here as well).
    assert {field.name for field in dataclasses.fields(Entry) if field.name != "revisions"} <= set(vars(entry))


def test_writers_are_shared_per_person_and_address():
    first, again = Entry.from_row(_row()).author, Entry.from_row(_row(id=42)).author
    assert first is again
    moved = Entry.from_row(_row(author_email="ann@new.example.org")).author
    other = Entry.from_row(_row(author_user_id=6)).author
    assert (moved.email, other.user_id) == ("ann@new.example.org", to_global_id("User", 6))
    assert moved is not first and other is not first


def _dossier_row(**changes) -> Row:
    columns = dict(id=9, account_id=3, client_name="Zoë Brontë", reference="Z-1", date_of_birth=None,
                   free_fields=[{"name": "GP", "value": "Dr. Ahmed"}], archived_at=WRITTEN)
    return Row(**{**columns, **changes})


def test_a_dossier_from_a_row_equals_one_built_through_its_init():
    built = Dossier(id=to_global_id("Dossier", 9), client_name="Zoë Brontë", reference="Z-1", date_of_birth=None,
                    free_fields=[FreeField(name="GP", value="Dr. Ahmed")], archived=True, pk=9, account_id=3,
                    access=None)
    dossier = Dossier.from_model(_dossier_row())
    assert dossier == built
    assert {field.name for field in dataclasses.fields(Dossier) if field.init} <= set(vars(dossier))
    empty = Dossier.from_model(_dossier_row(free_fields=None, archived_at=None))
    assert (empty.free_fields, empty.archived) == ([], False)
    assert Dossier.from_model(_dossier_row(free_fields=None)).free_fields is not empty.free_fields
