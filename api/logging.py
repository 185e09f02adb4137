"""Structured logs: one JSON object per line, with the request id of the request being
served and, when tracing is on (api/tracing.py), its trace id, so a log line leads to the
trace. Callers pass structured fields as `extra={"fields": {...}}`; nothing here logs
request bodies, variables, tokens or passwords."""
from __future__ import annotations

import json
import logging
import sys
from datetime import datetime, timezone

from api.tracing import current_trace_id
from infra.settings import Settings
from infra.tracing import request_id_var


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data = {
            "ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        request_id = request_id_var.get()
        if request_id:
            data["request_id"] = request_id
        trace_id = current_trace_id()
        if trace_id:
            data["trace_id"] = trace_id
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            data.update(fields)
        if record.exc_info:
            data["exc"] = self.formatException(record.exc_info)
        return json.dumps(data, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            line += " " + " ".join(f"{key}={value}" for key, value in fields.items() if value is not None)
        return line


def configure_logging(settings: Settings) -> None:
    """Send every logger (uvicorn's too) through one stderr handler; idempotent."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "casebook", False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler.casebook = True  # type: ignore[attr-defined]
    if settings.log_format == "text":
        handler.setFormatter(TextFormatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    else:
        handler.setFormatter(JsonFormatter())
    root.addHandler(handler)
    root.setLevel(settings.log_level.upper())
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
    # One line per request comes from api.observe; uvicorn's access log would repeat it.
    logging.getLogger("uvicorn.access").disabled = True
    # Strawberry logs every GraphQL error with the query text around it (which may hold
    # dossier content) and a traceback, expected errors included; api.extensions logs
    # the unexpected ones itself.
    logging.getLogger("strawberry.execution").disabled = True
