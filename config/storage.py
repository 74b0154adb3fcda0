"""Kept files through the storage API only: unique names, streamed downloads, the readiness probe.

The service keeps files (price lists, previews, admin exports) in Django's default storage: the local
file system on one machine, an S3-compatible bucket when web and worker processes run on several
(`MEDIA_STORAGE=s3`). Nothing reads or writes them by a local path, so a worker on another machine
opens exactly what a web process saved.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import BinaryIO

from django.core.files.base import ContentFile
from django.core.files.storage import Storage, default_storage
from django.http import FileResponse

# Read by the readiness probe; written once when missing. Never one of the kept files.
PROBE_NAME = "health/readyz-probe.txt"
DOWNLOAD_BLOCK_SIZE = 256 * 1024


def unique_name(file_name: str) -> str:
    """`<random>/<file_name>`: a key nobody else's upload can take, whatever the storage.

    A bucket has no atomic "create if absent": two uploads of `stock.yaml` at the same moment would
    both find the name free and the second would replace the first. A random directory per file
    makes that impossible, and the name a person sees stays the one they sent.
    """
    return str(PurePosixPath(uuid.uuid4().hex) / file_name)


class _StreamingBodyReader(io.RawIOBase):
    """A raw binary stream over an S3 object's body, read as it arrives from the network."""

    def __init__(self, body) -> None:
        self._body = body

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self._body.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        try:
            self._body.close()
        finally:
            super().close()


def _is_s3(storage: Storage) -> bool:
    try:
        from storages.backends.s3 import S3Storage
    except ImportError:  # django-storages is installed with the runtime set; be safe anyway
        return False
    return isinstance(storage, S3Storage)


def open_stream(name: str, *, storage: Storage | None = None) -> BinaryIO:
    """`name` opened for reading from the beginning to the end, without a local copy first.

    S3's own file object downloads the whole object before the first byte can be read; this reads the
    object's body as it comes, so a download starts at once and holds only a buffer. Raises
    FileNotFoundError when the file is gone.
    """
    storage = storage or default_storage
    if _is_s3(storage):
        s3_file = storage.open(name, "rb")  # checks that the object exists (404 → FileNotFoundError)
        body = s3_file.obj.get()["Body"]
        return io.BufferedReader(_StreamingBodyReader(body), buffer_size=DOWNLOAD_BLOCK_SIZE)
    return storage.open(name, "rb")


def iter_chunks(name: str, *, storage: Storage | None = None) -> Iterator[bytes]:
    """The bytes of `name`, a block at a time."""
    with open_stream(name, storage=storage) as stream:
        while block := stream.read(DOWNLOAD_BLOCK_SIZE):
            yield block


def download_response(
    name: str, *, filename: str, size: int | None = None, content_type: str | None = None
) -> FileResponse:
    """A response that streams the kept file `name` as an attachment called `filename`.

    The caller has decided that the user may have it; the file is streamed from the storage, never
    linked (no public or pre-signed URL leaves the service).
    """
    stream = open_stream(name)
    response = FileResponse(stream, as_attachment=True, filename=filename, content_type=content_type)
    response.block_size = DOWNLOAD_BLOCK_SIZE
    if size is not None and not response.has_header("Content-Length"):
        response["Content-Length"] = str(size)
    return response


def check_storage() -> None:
    """Raise when the kept files' storage cannot be read (and, the first time, written).

    One small read of a probe object per call: a HEAD of a missing key would be answered 403 by a
    bucket whose key may not list it, so the probe is written once and read from then on.
    """
    try:
        default_storage.size(PROBE_NAME)
    except FileNotFoundError:
        default_storage.save(PROBE_NAME, ContentFile(b"ok\n"))
    except Exception as error:
        if not _is_missing(error):
            raise
        default_storage.save(PROBE_NAME, ContentFile(b"ok\n"))


def _is_missing(error: Exception) -> bool:
    """A botocore "not found" (some stores answer 403 for a key the credentials may not list)."""
    response = getattr(error, "response", None)
    if not isinstance(response, dict):
        return False
    return response.get("ResponseMetadata", {}).get("HTTPStatusCode") in (403, 404)
