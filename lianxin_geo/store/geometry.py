"""Geometry columns on both backends: PostGIS ``Geometry`` on PostgreSQL, WKB bytes on SQLite.

SpatiaLite is not needed: on SQLite a geometry is stored as its WKB bytes (read back with
shapely); on PostgreSQL the column is a GeoAlchemy2 ``Geometry(kind, 4326)`` bound from EWKT
and read back as EWKB, with GiST indexes created by the migrations.
"""

from __future__ import annotations

from typing import Any

import shapely
import sqlalchemy as sa
from geoalchemy2 import Geometry

__all__ = ["geometry_type", "to_db", "from_db", "SRID"]

SRID = 4326


def geometry_type(kind: str) -> sa.types.TypeEngine:
    """The column type of a geometry of ``kind`` (``POINT``, ``GEOMETRY`` …) in EPSG:4326."""
    return sa.LargeBinary().with_variant(Geometry(kind, srid=SRID, spatial_index=False), "postgresql")


def to_db(geom: shapely.Geometry | None, dialect: str) -> Any:
    """A shapely geometry as the bound value of a geometry column on ``dialect`` (``None`` stays ``None``)."""
    if geom is None or geom.is_empty:
        return None
    if dialect == "postgresql":
        return f"SRID={SRID};{shapely.to_wkt(geom, rounding_precision=-1)}"
    return shapely.to_wkb(geom)


def from_db(value: Any) -> shapely.Geometry | None:
    """The shapely geometry of a value read from a geometry column (WKB bytes or a GeoAlchemy2 element)."""
    if value is None:
        return None
    data = getattr(value, "data", value)  # WKBElement keeps its bytes in .data
    if isinstance(data, str):
        return shapely.from_wkb(bytes.fromhex(data))
    return shapely.from_wkb(bytes(data))
