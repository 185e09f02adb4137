"""`GET /invoices/<id>.pdf`: an invoice's PDF (B6) to the bearer tokens that may read
the invoice — owners and admins of its account, and operators; never a machine
credential. Like exports (api/downloads.py): only the Authorization header counts, and
a missing token, someone else's, an unknown or malformed id all answer the same 404."""
from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from auth.principal import principal_from_token
from auth.tokens import TokenService
from infra.clock import utc_now
from domain.core.errors import Unauthenticated
from domain.billing.invoices.printing import invoice_pdf
from domain.billing.invoices.queries import readable_invoice
from schema.relay import parse_global_id

_PRIVATE = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


def _not_found() -> Response:
    return JSONResponse({"error": "not found"}, status_code=404, headers=_PRIVATE)


def invoice_pdf_endpoint(tokens: TokenService):  # noqa: ANN201 - a Starlette endpoint
    async def download(request: Request) -> Response:
        parsed = parse_global_id(request.path_params["invoice_id"])
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if parsed is None or parsed[0] != "Invoice" or scheme.lower() != "bearer" or not token.strip():
            return _not_found()
        try:
            principal = await principal_from_token(tokens, token.strip(), utc_now())
        except Unauthenticated:
            return _not_found()
        invoice = await readable_invoice(principal, parsed[1])
        if invoice is None:
            return _not_found()
        body = await invoice_pdf(invoice)
        headers = {**_PRIVATE, "Content-Disposition": f'attachment; filename="{invoice.number}.pdf"'}
        return Response(body, media_type="application/pdf", headers=headers)

    return download
