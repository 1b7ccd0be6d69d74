"""Write docs/kpis.md, the KPI catalogue as a Markdown table, from the pure catalogue.

Usage (no Odoo needed, nor numpy)::

    python3 bench/kpi_docs.py           # rewrite docs/kpis.md
    python3 bench/kpi_docs.py --check   # exit 1 if docs/kpis.md is out of date

tests/test_kpi_formulas.py checks that docs/kpis.md equals what this script writes.
"""

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "kpis.md"


def _load_catalog():
    """engine/kpi_catalog.py alone (plain data: not the whole engine package)."""
    path = ROOT / "erpconnect_ai" / "engine" / "kpi_catalog.py"
    spec = importlib.util.spec_from_file_location("kpi_catalog", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


kpi_catalog = _load_catalog()

HEADER = """# KPI catalogue

The KPIs of `erpconnect.kpi` (`get_catalog()`, `get_metrics(days=30)`,
`get_metric(code, days=90, interval="day")`, `get_comparison(product_ids, days=30)`), per company
and period of N days ending today (UTC), each compared with the previous period of the same length.
Generated from `erpconnect_ai/engine/kpi_catalog.py` by `python3 bench/kpi_docs.py`; do not edit
by hand.

Kinds: *flow* = over the period; *growth* = a flow against the period before; *snapshot* = at the
end of the period (past stock is today's stock minus the done stock moves since); *window* = a fixed
window of days up to the end of the period. A value is `null` ("no data") when it cannot be computed
(a ratio over nothing, no analysis run yet).

The per-product stock KPIs (low stock, out of stock, below reorder point, overstock, dead stock
value) of a finished day are recorded by the daily cron "ERPConnect AI: record the day's stock
KPIs" (`erpconnect.kpi.snapshot`; its first run records the last 400 days); their past points are
read from it, as recorded that night, and only the points without a recorded day (today's) are
computed live.
"""


def _cell(text):
    return text.replace("|", "\\|")


def render():
    """The Markdown text of docs/kpis.md."""
    lines = [HEADER]
    for category, label in kpi_catalog.CATEGORIES.items():
        lines.append("## %s\n" % label)
        lines.append("| code | name | unit | better | kind | formula |")
        lines.append("| --- | --- | --- | --- | --- | --- |")
        for kpi in kpi_catalog.KPI_CATALOG:
            if kpi.category == category:
                lines.append(
                    "| `%s` | %s | %s | %s | %s | %s |"
                    % (
                        kpi.code,
                        kpi.name,
                        kpi.unit,
                        kpi.direction,
                        kpi.kind,
                        _cell(kpi.description),
                    )
                )
        lines.append("")
    lines.append("## Product comparison (`get_comparison`)\n")
    lines.append("| code | name | unit | better |")
    lines.append("| --- | --- | --- | --- |")
    for metric in kpi_catalog.PRODUCT_METRICS:
        lines.append(
            "| `%s` | %s | %s | %s |" % (metric.code, metric.name, metric.unit, metric.direction)
        )
    return "\n".join(lines) + "\n"


def main(argv):
    text = render()
    if "--check" in argv:
        if not DOC.exists() or DOC.read_text(encoding="utf-8") != text:
            sys.stderr.write("docs/kpis.md is out of date: run python3 bench/kpi_docs.py\n")
            return 1
        return 0
    DOC.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
