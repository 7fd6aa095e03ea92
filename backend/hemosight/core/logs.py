"""Logging for the services: readable lines at a terminal, one JSON object per line in containers.

`HEMOSIGHT_LOG_FORMAT=json` (set in the container images) makes every record, including
uvicorn's access log, a JSON object with time, level, logger, message and any `extra`
fields, so Loki, Elasticsearch or Cloud Logging can index them without parsing.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime

#: LogRecord attributes that are not user `extra` fields.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "taskName"}


_TOKEN_IN_QUERY = re.compile(r"(access_token=)[^&\s\"]+")


class RedactTokens(logging.Filter):
    """Blank bearer tokens sent as `?access_token=` (thumbnails in <img> tags) out of access-log lines.

    A token in a log file is a session anyone who can read the logs can take over.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_TOKEN_IN_QUERY.sub(r"\1REDACTED", a) if isinstance(a, str) else a for a in record.args)
        if isinstance(record.msg, str):
            record.msg = _TOKEN_IN_QUERY.sub(r"\1REDACTED", record.msg)
        return True


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "service": self.service,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value if isinstance(value, str | int | float | bool | type(None)) else repr(value)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(service: str, fmt: str = "text", level: str = "INFO") -> None:
    """Replace the root handlers: `fmt` is "json" or "text"; applies to uvicorn's loggers too."""
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(JsonFormatter(service))
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactTokens) for f in access.filters):
        access.addFilter(RedactTokens())
