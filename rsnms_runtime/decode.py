"""Stored documents as readable JSON: what `rsnms decode` prints.

Journal documents keep their entries in one compressed binary field (`rsnms_runtime.mongo.pack`);
this turns every such field (with the `Blob`s kept beside it, `mongo.pack_with_blobs`, and older
entries' `{"$zlib": <base64>}` values) back into the JSON it holds, and any other BSON value into
plain JSON (dates as ISO 8601, other binary as base64), so no tool needs to know the layouts."""

from __future__ import annotations

import base64
import datetime as dt
import uuid
from typing import Any

from rsnms_runtime.mongo import Blob, compressed_bytes, unpack


def decoded(value: Any) -> Any:
    """`value` (a document read from the database) as JSON-compatible data, packed fields unpacked."""
    if isinstance(value, dict) and isinstance(value.get("packed"), bytes) and isinstance(value.get("blobs"), bytes):
        shown = {str(k): decoded(v) for k, v in value.items() if k not in ("packed", "blobs")}
        shown["packed"] = {"$packed": decoded(unpack(value["packed"], value["blobs"]))}
        shown["blobs"] = {"$bytes": len(value["blobs"])}
        return shown
    if isinstance(value, Blob):
        return {"$packed": decoded(unpack(value.data))}
    if isinstance(value, dict):
        if (data := compressed_bytes(value)) is not None:
            try:
                return {"$packed": decoded(unpack(data))}
            except ValueError:
                pass
        return {str(k): decoded(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [decoded(v) for v in value]
    if isinstance(value, bytes):  # bson.Binary is a bytes subclass
        try:
            return {"$packed": decoded(unpack(value))}
        except ValueError:
            return {"$binary": base64.b64encode(bytes(value)).decode()}
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, uuid.UUID):
        return str(value)
    return str(value)  # ObjectId, Decimal128, ...
