"""FIT (the binary files of Garmin, Wahoo, Coros, Suunto... watches and bike computers):
activities and courses, decoded by ``fitdecode`` one message at a time.

Only what a route needs is kept, packed as it arrives (4 numbers a point in compact arrays),
so a large file costs its points, not its messages. A file cut short (a watch that died) keeps
the points read before the cut, and says so.
"""

from __future__ import annotations

import io
from array import array

import fitdecode
import numpy as np

from tripbot.platform.errors import Message
from tripbot.routes.formats.common import Parsed, Place, Repair, Waypoint, refuse, segment

SEMICIRCLE_DEGREES = 180.0 / 2**31
FIT_EPOCH = 631_065_600
"""1989-12-31T00:00:00Z, where FIT timestamps start, in Unix seconds."""
RECORD, COURSE, COURSE_POINT, FILE_ID = 20, 31, 32, 0
_MISSING = np.nan


def is_fit(content: bytes) -> bool:
    """Whether the file starts with a FIT header (size 12 or 14, then '.FIT')."""
    return len(content) >= 12 and content[0] in (12, 14) and content[8:12] == b".FIT"


def _degrees(value: object) -> float:
    return float(value) * SEMICIRCLE_DEGREES if isinstance(value, int) else _MISSING


def _record(frame: fitdecode.FitDataMessage) -> tuple[float, float, float, float]:
    """Latitude, longitude, elevation and Unix time of a record (NaN where missing)."""
    lat = lon = height = fallback_height = stamp = None
    for data in frame.fields:
        name = data.name
        if name == "position_lat":
            lat = data.value
        elif name == "position_long":
            lon = data.value
        elif name == "enhanced_altitude":
            height = data.value
        elif name == "altitude":
            fallback_height = data.value
        elif name == "timestamp":
            stamp = data.value
    height = height if height is not None else fallback_height
    return (
        _degrees(lat),
        _degrees(lon),
        float(height) if isinstance(height, int | float) else _MISSING,
        float(stamp) + FIT_EPOCH if isinstance(stamp, int) else _MISSING,
    )


def read(content: bytes) -> Parsed:
    """The records of a FIT activity or course, and a course's points."""
    parsed = Parsed("fit")
    lat, lon = array("d"), array("d")
    ele, moment = array("f"), array("d")
    kind = ""
    reader = fitdecode.FitReader(
        io.BytesIO(content),
        processor=None,  # raw values: positions in semicircles, times in FIT seconds
        check_crc=fitdecode.CrcCheck.DISABLED,  # a bad checksum still holds good points
        error_handling=fitdecode.ErrorHandling.IGNORE,
        keep_raw_chunks=False,
    )
    try:
        for frame in reader:
            if frame.frame_type != fitdecode.FIT_FRAME_DATA:
                continue
            number = frame.global_mesg_num
            if number == RECORD:
                la, lo, height, stamp = _record(frame)
                lat.append(la)
                lon.append(lo)
                ele.append(height)
                moment.append(stamp)
            elif number == COURSE_POINT:
                values = {data.name: data.value for data in frame.fields}
                parsed.waypoints.append(
                    Waypoint(
                        str(values.get("name") or "")[:120],
                        _degrees(values.get("position_lat")),
                        _degrees(values.get("position_long")),
                        symbol=str(values.get("type") or "")[:40],
                    )
                )
            elif number == COURSE:
                parsed.name = str(frame.get_value("name", fallback="") or "")[:120]
            elif number == FILE_ID:
                kind = str(frame.get_value("type", fallback="") or "")
    except (fitdecode.FitError, ValueError, KeyError, IndexError) as error:
        if len(lat) < 2:
            raise refuse(
                Message("the FIT file is damaged and holds no readable track: {reason}"),
                reason=str(error)[:200],
            ) from error
        parsed.notes.append(
            Repair(
                "file_truncated",
                1,
                (Place(Message("the FIT file"), len(lat), value=str(error)[:120]),),
            )
        )
    _refuse_other_kinds(kind, lat)
    where = Message("the FIT records")
    # The arrays read the compact buffers in place (no copy); elevation widens to float64.
    parsed.lines.append(
        segment(
            where,
            np.frombuffer(lat, dtype=np.float64),
            np.frombuffer(lon, dtype=np.float64),
            np.frombuffer(ele, dtype=np.float32).astype(np.float64),
            np.frombuffer(moment, dtype=np.float64),
        )
    )
    return parsed


def _refuse_other_kinds(kind: str, lat: array[float]) -> None:
    """A FIT file that is not an activity or a course (settings, a workout, monitoring)."""
    if kind in ("activity", "course", "") or any(np.isfinite(lat)):
        return
    raise refuse(
        Message(
            "the FIT file holds no activity or course (its FIT file type is {kind}), so it "
            "holds no route; export the activity or the course instead"
        ),
        kind=kind,
    )
