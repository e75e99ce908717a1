"""The crisis pages' SVG charts: the shared pure chart module ``hrcore.charts``, re-exported under
the names the crisis views and tests use."""

from hrcore.charts import PALETTE, bar_chart, hbar_chart, line_chart, nice_max

__all__ = ["PALETTE", "bar_chart", "hbar_chart", "line_chart", "nice_max"]
