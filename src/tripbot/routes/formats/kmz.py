"""KMZ (a zipped KML, as Google Earth and OpenTracks write it), opened without trusting it.

A zip can claim anything in its directory and expand a few kilobytes into gigabytes (a zip
bomb). So the number of entries is bounded, each entry's claimed ratio is checked, and the
one entry read is read with a hard limit, whatever its header says.
"""

from __future__ import annotations

import io
import zipfile

from tripbot.platform.errors import Message
from tripbot.routes.formats.common import refuse

MAX_ENTRIES = 1000
"""A KMZ holds its KML and perhaps icons and photos; more entries than this is not a KMZ."""
MAX_EXPANDED_BYTES = 64 * 1024 * 1024
"""The most an entry may expand to, and all entries together by their headers."""
MAX_RATIO = 200
"""The most an entry may expand over its compressed size (text compresses 5-30 times)."""
READABLE = (".kml", ".gpx", ".tcx", ".geojson", ".json", ".fit")
"""What a zip may carry for us, in the order tried when there is no doc.kml."""


def is_zip(content: bytes) -> bool:
    """Whether the file is a zip archive (a KMZ, or a zipped track)."""
    return content.startswith((b"PK\x03\x04", b"PK\x05\x06"))


def _choose(entries: list[zipfile.ZipInfo]) -> zipfile.ZipInfo:
    files = [e for e in entries if not e.is_dir()]
    by_name = {e.filename.lower(): e for e in files}
    if "doc.kml" in by_name:
        return by_name["doc.kml"]
    for suffix in READABLE:
        # A file at the top of the archive comes before one in a folder.
        found = sorted(
            (e for e in files if e.filename.lower().endswith(suffix)),
            key=lambda e: (e.filename.count("/"), e.filename),
        )
        if found:
            return found[0]
    listed = ", ".join(e.filename for e in files[:5]) or Message("nothing")
    raise refuse(
        Message(
            "the KMZ (a zipped KML) holds no KML file: it holds {entries}; export the route "
            "again as KMZ, KML or GPX"
        ),
        entries=listed,
    )


def unzipped(content: bytes) -> tuple[bytes, str]:
    """The track file a KMZ (or a zip of one track file) carries, and its name."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        entries = archive.infolist()
    except (zipfile.BadZipFile, ValueError, EOFError) as error:
        raise refuse(
            Message(
                "the file is a zip archive (as a KMZ is) but it is damaged: {reason}; "
                "export it again"
            ),
            reason=str(error)[:200],
        ) from error
    if len(entries) > MAX_ENTRIES:
        raise refuse(
            Message(
                "the KMZ holds {count} files; a KMZ holds its KML and a few pictures, so more "
                "than {limit} are refused (a zip bomb could hide among them)"
            ),
            count=len(entries),
            limit=MAX_ENTRIES,
        )
    claimed = sum(e.file_size for e in entries)
    if claimed > MAX_EXPANDED_BYTES:
        raise refuse(
            Message(
                "the KMZ would expand to {size_mb} MB, more than the {limit_mb} MB a route "
                "may take (refused as a zip bomb)"
            ),
            size_mb=claimed // 1_000_000,
            limit_mb=MAX_EXPANDED_BYTES // 1_000_000,
        )
    chosen = _choose(entries)
    _check_ratio(chosen.filename, chosen.file_size, chosen.compress_size)
    try:
        with archive.open(chosen) as stream:
            data = stream.read(MAX_EXPANDED_BYTES + 1)
    except RuntimeError as error:  # encrypted
        raise refuse(
            Message("the KMZ entry {entry} is password-protected; export it without a password"),
            entry=repr(chosen.filename),
        ) from error
    except (zipfile.BadZipFile, ValueError, EOFError, OSError) as error:
        raise refuse(
            Message("the KMZ entry {entry} is damaged: {reason}; export it again"),
            entry=repr(chosen.filename),
            reason=str(error)[:200],
        ) from error
    # The header may lie: what was actually read is measured too.
    if len(data) > MAX_EXPANDED_BYTES:
        raise refuse(
            Message(
                "the KMZ entry {entry} expands to more than {limit_mb} MB (refused as a zip bomb)"
            ),
            entry=repr(chosen.filename),
            limit_mb=MAX_EXPANDED_BYTES // 1_000_000,
        )
    _check_ratio(chosen.filename, len(data), chosen.compress_size)
    return data, chosen.filename


def _check_ratio(name: str, expanded: int, compressed: int) -> None:
    if expanded > 1_000_000 and expanded > MAX_RATIO * max(compressed, 1):
        raise refuse(
            Message(
                "the KMZ entry {entry} expands {ratio} times over its compressed size; more "
                "than {limit} times is refused as a zip bomb"
            ),
            entry=repr(name),
            ratio=expanded // max(compressed, 1),
            limit=MAX_RATIO,
        )
