"""The notebooks run top to bottom on the demo, offline (nbclient, python3 kernel of this venv)."""

from __future__ import annotations

from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


def test_notebooks_exist():
    names = [p.stem for p in NOTEBOOKS]
    assert names[:4] == ["01_quick_start", "02_joint_units", "03_your_own_district", "04_whole_city"]


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path: Path, tmp_path: Path):
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=180, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert errors == []
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.get("execution_count") for c in code)  # every cell ran
    # the offline guard is there and stayed off
    if path.stem.startswith("03"):
        src = "\n".join(c.source for c in code)
        assert "ONLINE = False" in src
        text = "".join(o.get("text", "") for c in code for o in c.get("outputs", []))
        assert "离线模式" in text
