"""Where the development data sets live, for the benchmarks and the training scripts (defined once).

- PBC: "A dataset for microscopic peripheral blood cell images for development of automatic
  recognition systems" (Acevedo et al., Data in Brief 2020; Mendeley Data, doi:10.17632/snkd93bnjr.1),
  17,092 cells in 8 classes, with the WBCAtt morphological attributes (Tsutsui et al., NeurIPS 2023
  Datasets and Benchmarks, github.com/apple2373/wbcatt) joined into ``labels.csv``.
- PBC originals: the analyzer's full-size crops of the same cells (``pbc-originals``).
- Other labs' crops for the new-lab benchmarks (``crosslab``: bccd, cellavision_blog).

Set HEMOSIGHT_PBC_DIR / HEMOSIGHT_ORIGINALS_DIR / HEMOSIGHT_CROSSLAB_DIR to where you prepared them; the default is
``data/<name>`` in the folder beside the repository. The test suite does not need them
(tests/fixtures holds a small sample).
"""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

from hemosight.ml.cli import DEFAULT_BUNDLE

ROOT = Path(__file__).resolve().parents[1]
_DEFAULT_HOME = ROOT.parent / "shared" / "data"


class DataSets(BaseSettings):
    """The development data folders (environment prefix HEMOSIGHT_); not a deployment setting."""

    model_config = SettingsConfigDict(env_prefix="HEMOSIGHT_", extra="ignore")

    pbc_dir: Path = _DEFAULT_HOME / "pbc"
    originals_dir: Path = _DEFAULT_HOME / "pbc-originals"
    crosslab_dir: Path = _DEFAULT_HOME / "crosslab"


DATA_SETS = DataSets()
PBC_DIR = DATA_SETS.pbc_dir
ORIGINALS_DIR = DATA_SETS.originals_dir
CROSSLAB_DIR = DATA_SETS.crosslab_dir
__all__ = ["CROSSLAB_DIR", "DATA_SETS", "DEFAULT_BUNDLE", "ORIGINALS_DIR", "PBC_DIR", "ROOT", "DataSets"]
