"""The Export type (D8) and its enums."""
from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Optional

import strawberry

from domain.exports import service
from domain.exports.models import Export as ExportRow
from auth.audiences import Audience
from schema.context import Info
from schema.nodes import Node
from schema.relay import to_global_id
from schema.rules import rules


@strawberry.enum(name="ExportKind", description="What an export holds.")
class ExportKind(Enum):
    DOSSIER = strawberry.enum_value("DOSSIER", description="One dossier, whole.")
    ACCOUNT = strawberry.enum_value("ACCOUNT", description="Every dossier of the account and its ledger.")


@strawberry.enum(name="ExportFormat", description="The file an export is written as.")
class ExportFormat(Enum):
    JSON = strawberry.enum_value("JSON", description="A dossier as JSON in the documented, versioned format.")
    PDF = strawberry.enum_value("PDF", description="A dossier as a PDF for a person to read.")
    ZIP = strawberry.enum_value("ZIP", description="An account archive: every dossier as JSON, and the ledger.")


@strawberry.enum(name="ExportStatus", description="Where an export's build stands.")
class ExportStatus(Enum):
    PENDING = strawberry.enum_value("PENDING", description="Asked for; the worker has not finished it yet.")
    READY = strawberry.enum_value("READY", description="Built; downloadable at `downloadUrl` until `expiresAt`.")
    FAILED = strawberry.enum_value("FAILED", description="Could not be built; ask again.")


@rules(audience=Audience.CONTENT)
@strawberry.type(description="A file of one dossier or a whole account, built in the background. Only the "
                             "person (or machine credential) who asked for it sees it.")
class Export(Node):
    row: strawberry.Private[ExportRow]

    @strawberry.field(description="The export's global id.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("Export", self.row.id))

    @strawberry.field(description="A dossier or a whole account.")
    def kind(self) -> ExportKind:
        return ExportKind(self.row.kind)

    @strawberry.field(description="JSON or PDF for a dossier, ZIP for an account.")
    def format(self) -> ExportFormat:
        return ExportFormat(self.row.format)

    @strawberry.field(description="PENDING until the worker has built it, then READY or FAILED.")
    def status(self) -> ExportStatus:
        return ExportStatus(self.row.status)

    @strawberry.field(description="Where to download the file: a path under this service that answers the same "
                                  "bearer token, and no one else; null until READY and after `expiresAt`.")
    async def download_url(self, info: Info) -> Optional[str]:
        principal = info.context.principal
        now = await service.expiry_now(self.row, principal.actor if principal else None, info.context.now)
        if not service.downloadable(self.row, now):
            return None
        return service.download_path(self.row)

    @strawberry.field(description="When the download stops working and the file is deleted: "
                                  "EXPORT_TTL_SECONDS after it became ready, by the account's business time "
                                  "(its test clock outside production, see Account.testClock).")
    def expires_at(self) -> Optional[datetime]:
        return self.row.expires_at

    @strawberry.field(description="When it was asked for.")
    def created_at(self) -> datetime:
        return self.row.created_at

    @classmethod
    def from_model(cls, row: ExportRow) -> "Export":
        return cls(row=row)
