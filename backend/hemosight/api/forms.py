"""Multipart parsing that refuses one file with a name too long to read, not the whole batch.

The stock parser (python-multipart under Starlette) stops the whole request at a part header
over ~4 KB, before any route runs: a single file with a 5,000-character name made every file of
its batch fail. Here the parser's own header limit is lifted and this module bounds what it keeps
instead: a part whose headers are longer than `MAX_PART_HEADER_BYTES` becomes a
`RefusedUpload`, its bytes are skipped, and the upload route reports it like any other rejected
file. The request as a whole is still bounded by the request-size limit (`limits`).
"""

from __future__ import annotations

import codecs
import io
import re
from collections.abc import Callable, Coroutine
from contextlib import aclosing
from typing import TYPE_CHECKING, Any

from fastapi import Request, Response
from fastapi.routing import APIRoute
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.datastructures import FormData, Headers, UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException, MultiPartParser

if TYPE_CHECKING:
    from python_multipart.multipart import MultipartCallbacks

#: Headers of one part (its Content-Disposition carries the file name) kept at most; longer ones refuse the file.
MAX_PART_HEADER_BYTES = 64 * 1024
_UNLIMITED = 2**62  # python-multipart's own per-header limit, out of the way: the budget below bounds memory
_FIELD_NAME = re.compile(rb'(?:^|;)\s*name="([^"]*)"', re.IGNORECASE)


class RefusedUpload(UploadFile):
    """A file part the parser read past without keeping it; `reason` says why, in words."""

    def __init__(self, filename: str, reason: str) -> None:
        super().__init__(file=io.BytesIO(), size=0, filename=filename)
        self.reason = reason


class _PartHeaderLimitedParser(MultiPartParser):
    """Starlette's parser with python-multipart's header check lifted and a per-part header budget of its own."""

    def __init__(self, headers: Headers, stream: Any, **limits: Any) -> None:
        super().__init__(headers, stream, **limits)
        self._header_bytes = 0
        self._refused = False

    def on_part_begin(self) -> None:
        super().on_part_begin()
        self._header_bytes = 0
        self._refused = False

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        super().on_header_field(data, start, self._within_budget(start, end))

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        super().on_header_value(data, start, self._within_budget(start, end))

    def _within_budget(self, start: int, end: int) -> int:
        """The end of what of data[start:end] still fits the part's header budget; past it the part is refused."""
        room = max(0, MAX_PART_HEADER_BYTES - self._header_bytes)
        self._header_bytes += end - start
        self._refused = self._refused or self._header_bytes > MAX_PART_HEADER_BYTES
        return start + min(room, end - start)

    def on_header_end(self) -> None:
        if not self._refused:
            super().on_header_end()
        elif self._current_partial_header_name.lower() == b"content-disposition":
            # What fitted of the header: enough for the field name, which comes before the file name.
            self._current_part.content_disposition = self._current_partial_header_value
        self._current_partial_header_name = b""
        self._current_partial_header_value = b""

    def on_headers_finished(self) -> None:
        if not self._refused:
            super().on_headers_finished()
            return
        disposition = self._current_part.content_disposition or b""
        match = _FIELD_NAME.search(disposition)
        if match is None:
            raise MultiPartException(
                f"A part's headers are longer than {MAX_PART_HEADER_BYTES:,} bytes and do not name their form field."
            )
        self._current_part.field_name = match.group(1).decode("utf-8", "replace")
        _, options = parse_options_header(disposition + b'"')  # the file name was cut: close its quotes
        start = options.get(b"filename", b"").decode("utf-8", "replace")[:60]
        self._current_files += 1
        if self._current_files > self.max_files:
            raise MultiPartException(f"Too many files. Maximum number of files is {self.max_files}.")
        self._current_part.file = RefusedUpload(
            f"{start}…",
            f"The filename starting {start!r}… is longer than {MAX_PART_HEADER_BYTES:,} bytes, so the file was "
            "not read; rename it to a shorter name and upload it again.",
        )

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if not isinstance(self._current_part.file, RefusedUpload):  # a refused file's bytes are skipped
            super().on_part_data(data, start, end)

    async def parse(self) -> FormData:
        """Starlette's `parse`, building python-multipart's parser without its per-header limit (this class has one)."""
        _, params = parse_options_header(self.headers["Content-Type"])
        charset = params.get(b"charset", "utf-8")
        if isinstance(charset, bytes):
            charset = charset.decode("latin-1")
        try:
            self._charset = codecs.lookup(charset).name
        except LookupError:
            self._charset = "latin-1"
        if b"boundary" not in params:
            raise MultiPartException("Missing boundary in multipart.")
        callbacks: MultipartCallbacks = {
            "on_part_begin": self.on_part_begin,
            "on_part_data": self.on_part_data,
            "on_part_end": self.on_part_end,
            "on_header_field": self.on_header_field,
            "on_header_value": self.on_header_value,
            "on_header_end": self.on_header_end,
            "on_headers_finished": self.on_headers_finished,
            "on_end": self.on_end,
        }
        try:
            parser = MultipartParser(params[b"boundary"], callbacks, max_header_size=_UNLIMITED)
            async for chunk in self.stream:
                parser.write(chunk)
                for part, data in self._file_parts_to_write:
                    assert part.file is not None
                    await part.file.write(data)
                for part in self._file_parts_to_finish:
                    assert part.file is not None
                    await part.file.seek(0)
                self._file_parts_to_write.clear()
                self._file_parts_to_finish.clear()
            parser.finalize()
        except BaseException as exc:
            for file in self._files_to_close_on_error:
                file.close()
            if isinstance(exc, FormParserError):
                raise MultiPartException("Invalid multipart data.") from exc
            raise
        return FormData(self.items)


class _LenientFormRequest(Request):
    async def _get_form(
        self, *, max_files: int | float = 1000, max_fields: int | float = 1000, max_part_size: int = 1024 * 1024
    ) -> FormData:
        content_type, _ = parse_options_header(self.headers.get("Content-Type"))
        if self._form is None and content_type == b"multipart/form-data":
            try:
                async with aclosing(self.stream()) as stream:
                    parser = _PartHeaderLimitedParser(
                        self.headers, stream, max_files=max_files, max_fields=max_fields, max_part_size=max_part_size
                    )
                    self._form = await parser.parse()
            except MultiPartException as exc:
                raise HTTPException(status_code=400, detail=exc.message) from exc
        return await super()._get_form(max_files=max_files, max_fields=max_fields, max_part_size=max_part_size)


class UploadRoute(APIRoute):
    """Route class of routers taking many files: their form is read by `_PartHeaderLimitedParser`."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def lenient_form_handler(request: Request) -> Response:
            return await handler(_LenientFormRequest(request.scope, request.receive, request._send))

        return lenient_form_handler
