"""The ``lianxin-geo`` command line (:mod:`lianxin_geo.cli.main`) and its database commands
(:mod:`lianxin_geo.cli.store`: ``round``, ``measures``, ``db``)."""

from lianxin_geo.cli.main import app, main, run

__all__ = ["app", "main", "run"]
