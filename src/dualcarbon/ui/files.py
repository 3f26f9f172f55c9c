"""Files through the API: an uploaded spreadsheet saved for a service to read, a workbook sent back.

An upload is refused before any service sees it when its name has the wrong ending or it is larger than
:data:`MAX_UPLOAD_BYTES` (InvalidInput on ``file``, in Chinese and English); it is written in 1 MiB chunks
to a temporary folder removed afterwards. A workbook goes back as an attachment whose name keeps its
Chinese (RFC 6266 ``filename*``), with an ASCII name for clients that do not read that.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import UploadFile
from fastapi.responses import Response

from dualcarbon.core.errors import InvalidInput

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: ``responses=`` of a route that answers with a workbook (for the OpenAPI document).
XLSX_RESPONSES: dict[int | str, dict[str, Any]] = {200: {"content": {XLSX: {}}}}
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".csv")
_CHUNK = 1024 * 1024


def xlsx_response(content: bytes, filename: str, *, ascii_name: str = "export.xlsx") -> Response:
    """``content`` as an .xlsx attachment named ``filename`` (``ascii_name`` for older clients)."""
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    return Response(content, media_type=XLSX, headers={"Content-Disposition": disposition})


@contextmanager
def saved_upload(
    file: UploadFile, suffixes: tuple[str, ...] = SPREADSHEET_SUFFIXES, *, max_bytes: int = MAX_UPLOAD_BYTES
) -> Iterator[tuple[Path, str]]:
    """The upload written to a temporary file: (its path, the name the sender gave it). The file and its
    folder are removed when the block ends."""
    name = Path(file.filename or "upload.xlsx").name
    suffix = Path(name).suffix.lower()
    if suffix not in suffixes:
        endings = " / ".join(suffixes)
        raise InvalidInput(f"upload a {endings} file", field="file", zh=f"请上传 {endings} 文件")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"upload{suffix}"
        size = 0
        with path.open("wb") as out:
            while chunk := file.file.read(_CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    megabytes = max_bytes // (1024 * 1024)
                    raise InvalidInput(
                        f"file larger than {megabytes} MB", field="file", zh=f"文件超过 {megabytes} MB，请拆分后上传"
                    )
                out.write(chunk)
        yield path, name
