"""Make notebooks/utils.py importable as `utils`, exactly as the notebooks import it."""
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "notebooks"))
