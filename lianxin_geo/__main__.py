"""``python -m lianxin_geo`` runs the command line."""

from lianxin_geo.cli import run

run()
