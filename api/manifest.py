"""Reading the documents `casebook documents add FILE…` registers as trusted.

A FILE is one of:
* a JSON manifest mapping SHA-256 hashes to documents, `{"<sha256>": "<document>", …}`
  (GraphQL Code Generator's `persisted-documents.json`, Relay's `persisted_queries.json`
  with `"algorithm": "SHA256"`);
* Apollo's persisted query manifest, `{"format": "apollo-persisted-query-manifest",
  "version": 1, "operations": [{"id": "<sha256>", "body": "<document>", …}]}`
  (`@apollo/generate-persisted-query-manifest`, Apollo iOS and Apollo Kotlin);
* anything else: one GraphQL document (`.graphql`), registered under the SHA-256 of its
  exact text — the client must send those bytes exactly.

Every document is checked before anything is registered: the hash a manifest gives must
be the document's SHA-256 (nobody registers a document under another's hash), it must
fit MAX_DOCUMENT_BYTES, and it must parse and validate against the schema served."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from graphql import GraphQLError, GraphQLSchema, parse, validate

from api.documents import MAX_DOCUMENT_BYTES, sha256_hex


class ManifestError(ValueError):
    """One line naming the file (and hash) that cannot be registered."""


def documents_in(path: Path) -> list[tuple[str | None, str]]:
    """(claimed hash or None, document) pairs in one file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ManifestError(f"{path}: cannot read it ({error.strerror})") from None
    except UnicodeDecodeError:
        raise ManifestError(f"{path}: not UTF-8 text") from None
    if path.suffix.lower() != ".json":
        return [(None, text)]
    try:
        data: Any = json.loads(text)
    except ValueError as error:
        raise ManifestError(f"{path}: not valid JSON ({error})") from None
    if isinstance(data, dict) and data.get("format") == "apollo-persisted-query-manifest":
        if data.get("version") != 1 or not isinstance(data.get("operations"), list):
            raise ManifestError(f"{path}: an Apollo manifest needs version 1 and a list of operations")
        pairs = []
        for operation in data["operations"]:
            if not isinstance(operation, dict) or not isinstance(operation.get("id"), str) \
                    or not isinstance(operation.get("body"), str):
                raise ManifestError(f"{path}: every operation needs a string id and body")
            pairs.append((operation["id"], operation["body"]))
        return pairs
    if isinstance(data, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in data.items()):
        return list(data.items())
    raise ManifestError(f"{path}: expected {{\"<sha256>\": \"<document>\"}} or an Apollo persisted query manifest")


def check_document(path: Path, claimed: str | None, document: str, schema: GraphQLSchema) -> str:
    """The document's SHA-256, once it passed every check."""
    digest = sha256_hex(document)
    label = f"{path}" + (f" [{claimed[:16]}…]" if claimed else "")
    if claimed is not None and claimed.lower() != digest:
        raise ManifestError(f"{label}: the hash is not the SHA-256 of its document ({digest[:16]}…); "
                            "regenerate the manifest with SHA-256")
    if len(document.encode("utf-8")) > MAX_DOCUMENT_BYTES:
        raise ManifestError(f"{label}: over {MAX_DOCUMENT_BYTES // 1024} KiB")
    try:
        errors = validate(schema, parse(document))
    except GraphQLError as error:
        raise ManifestError(f"{label}: does not parse ({error.message})") from None
    if errors:
        raise ManifestError(f"{label}: does not validate against the schema ({errors[0].message})")
    return digest


def read_documents(paths: list[Path], schema: GraphQLSchema) -> tuple[dict[str, str], list[str]]:
    """Every document of every file, by hash, and one line per problem found."""
    documents: dict[str, str] = {}
    problems: list[str] = []
    for path in paths:
        try:
            pairs = documents_in(path)
        except ManifestError as error:
            problems.append(str(error))
            continue
        for claimed, document in pairs:
            try:
                documents[check_document(path, claimed, document, schema)] = document
            except ManifestError as error:
                problems.append(str(error))
    return documents, problems
