"""Locating organizations: the offline gazetteer, address geocoding with precision levels, and the
point-in-polygon assignment to towns/streets (with mismatch and outside flags)."""

from lianxin_geo.location.bulk import assign_bulk, locate_bulk
from lianxin_geo.location.gazetteer import Gazetteer, build_gazetteer
from lianxin_geo.location.geocode import GeocodeMatch, OnlineGeocoder, geocode_address, geocode_frame
from lianxin_geo.location.locator import LOCATE_COLUMNS, OUTSIDE_NOTE, LocateResult, locate

__all__ = [
    "assign_bulk",
    "locate_bulk",
    "Gazetteer",
    "GeocodeMatch",
    "LOCATE_COLUMNS",
    "LocateResult",
    "OUTSIDE_NOTE",
    "OnlineGeocoder",
    "build_gazetteer",
    "geocode_address",
    "geocode_frame",
    "locate",
]
