"""``python -m lianxin_geo`` runs the command line."""

from .cli import run

run()
