"""`casebook documents add FILE…` registers the documents client builds send, for
CASEBOOK_TRUSTED_DOCUMENTS=only (API.md): manifests of the usual tools and single
.graphql files; every document checked first (its hash, its size, the schema), and on
any problem nothing is registered — nobody registers a document under another's hash."""
from __future__ import annotations

import hashlib
import json
import sqlite3

import pytest

from api import cli
from api.documents import MAX_DOCUMENT_BYTES
from tests.conftest import ON_POSTGRES

pytestmark = pytest.mark.skipif(ON_POSTGRES, reason="CLI tests use an SQLite file; run in the SQLite pass")

CATALOG = "query Catalog { catalog { currency } }"
PLANS = "query Plans { catalog { plans { code name } } }"
SIGN_UP = "mutation SignUp($input: SignUpInput!) { signUp(input: $input) { accessToken } }"


def sha(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()


@pytest.fixture
def database(tmp_path, monkeypatch) -> str:
    path = tmp_path / "casebook.sqlite3"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite://{path}")
    monkeypatch.setenv("JWT_SECRET", "x" * 40)
    monkeypatch.setenv("CASEBOOK_ENV", "test")
    assert cli.main(["migrate"]) == 0
    return str(path)


def trusted(path: str) -> dict[str, str]:
    with sqlite3.connect(path) as conn:
        return dict(conn.execute('SELECT sha256, document FROM persisted_document WHERE trusted = 1').fetchall())


def test_manifests_of_codegen_and_apollo_and_graphql_files_are_registered(database, tmp_path, capsys):
    codegen = tmp_path / "persisted-documents.json"
    codegen.write_text(json.dumps({sha(CATALOG): CATALOG}))
    apollo = tmp_path / "persisted-query-manifest.json"
    apollo.write_text(json.dumps({"format": "apollo-persisted-query-manifest", "version": 1, "operations": [
        {"id": sha(PLANS), "name": "Plans", "type": "query", "body": PLANS}]}))
    single = tmp_path / "sign_up.graphql"
    single.write_text(SIGN_UP + "\n")
    assert cli.main(["documents", "add", str(codegen), str(apollo), str(single)]) == 0
    assert "registered 3 document(s) as trusted (3 new)" in capsys.readouterr().out
    assert trusted(database) == {sha(CATALOG): CATALOG, sha(PLANS): PLANS, sha(SIGN_UP + "\n"): SIGN_UP + "\n"}
    assert cli.main(["documents", "add", str(codegen)]) == 0
    assert "(0 new)" in capsys.readouterr().out
    assert cli.main(["documents", "list"]) == 0
    listed = capsys.readouterr().out
    assert sha(CATALOG) in listed and "query Plans" in listed


@pytest.mark.parametrize("manifest, problem", [
    ({sha(CATALOG): PLANS}, "the hash is not the SHA-256 of its document"),
    ({sha(PLANS): "query { catalog { nope } }"}, "the hash is not the SHA-256"),
    ({sha("query { catalog { nope } }"): "query { catalog { nope } }"}, "does not validate"),
    ({sha("query {"): "query {"}, "does not parse"),
    ({sha("#" * MAX_DOCUMENT_BYTES + CATALOG): "#" * MAX_DOCUMENT_BYTES + CATALOG}, "over 32 KiB"),
    (["not", "a", "map"], "expected"),
])
def test_any_bad_document_registers_nothing(database, tmp_path, capsys, manifest, problem):
    good = tmp_path / "good.json"
    good.write_text(json.dumps({sha(CATALOG): CATALOG}))
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(manifest))
    assert cli.main(["documents", "add", str(good), str(bad)]) == 2
    err = capsys.readouterr().err
    assert problem in err and "nothing registered" in err and "Traceback" not in err
    assert trusted(database) == {}


def test_a_missing_file_is_one_line(database, capsys):
    assert cli.main(["documents", "add", "no-such-manifest.json"]) == 2
    assert "no-such-manifest.json: cannot read it" in capsys.readouterr().err
