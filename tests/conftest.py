"""Make the addon's pure packages importable as ``engine`` and ``tools`` without Odoo."""

import sys
from pathlib import Path

ADDON_DIR = Path(__file__).resolve().parent.parent / "erpconnect_ai"
if str(ADDON_DIR) not in sys.path:
    sys.path.insert(0, str(ADDON_DIR))
