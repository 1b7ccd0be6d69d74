"""KPI service: the figures managers look at first, the same whoever asks.

This file is the API (JSON-RPC methods, access and argument checks). The catalogue is
``engine/kpi_catalog.py`` and the arithmetic ``engine/kpi_formulas.py``; ``erpconnect.kpi.data``
(``erpconnect_kpi_data.py``) reads the company's aggregates and ``erpconnect.kpi.cache``
(``erpconnect_kpi_cache.py``) keeps the results for ``CACHE_TTL`` seconds.
"""

import datetime

from odoo import api, models
from odoo.exceptions import ValidationError

from ..engine import kpi_catalog as catalog
from ..engine import kpi_formulas as formulas
from .arguments import (
    cached_periods_only,
    check_choice,
    check_days,
    check_history_days,
    check_record_id,
    check_viewer,
)

#: Products ``get_comparison`` accepts at once.
MAX_COMPARED_PRODUCTS = 20


class ErpconnectKpi(models.AbstractModel):
    """Business KPIs of the current company over a period, its history and product comparison.

    Security: the KPIs are company-level aggregates (sums, counts, means), never records. They are
    read with SQL, i.e. without the caller's sale/stock access rights, so that a Viewer (group
    ``erpconnect_ai.group_erpconnect_viewer``, without Sales or Inventory rights) sees them; in
    exchange every public method first checks explicitly that the caller is in that group, and only
    the current company (``self.env.company``, one of the caller's allowed companies) is read.
    Arguments are bounded (``models/arguments.py``); figures are cached for the periods the
    screens offer only.
    """

    _name = "erpconnect.kpi"
    _description = "ERPConnect AI KPIs"

    # ------------------------------------------------------------------------------------------
    # Public API (JSON-RPC)
    # ------------------------------------------------------------------------------------------
    @api.model
    @api.readonly
    def get_catalog(self):
        """The KPI catalogue.

        :returns: list of ``{"code", "name", "category", "category_name", "unit", "direction",
            "kind", "description"}``; ``unit`` in currency/percent/count/days/ratio/date,
            ``direction`` "higher" or "lower" (which is better), ``kind`` flow/growth/snapshot/
            window (see ``engine/kpi_catalog.py``), ``description`` the formula.
        """
        self._check_kpi_access()
        return [self._catalog_entry(kpi) for kpi in catalog.KPI_CATALOG]

    @api.model
    @api.readonly
    def get_metrics(self, days=30):
        """Every KPI of the current company over the last ``days`` days (today included) and the
        previous period of the same length.

        :param int days: period length, 1 to 365 (7, 30, 90 on the dashboard)
        :returns: list, in catalogue order, of the catalogue entry plus ``"value"``,
            ``"previous"``, ``"change"`` (value − previous; days between for dates),
            ``"change_pct"`` (% of the previous value), ``"no_data"`` (true when ``value`` is
            None), ``"date_from"``, ``"date_to"``, ``"previous_date_from"``,
            ``"previous_date_to"`` (ISO dates, inclusive). Values are numbers, counts ints, dates
            ISO strings, None when there is no data (a ratio over nothing, no analysis yet).
        :raises ValidationError: ``days`` is not an integer in range
        :raises AccessError: the user is not an ERPConnect AI user
        """
        company = self._kpi_company()
        days = self._check_days(days)
        bounds = formulas.period_bounds(self.env["erpconnect.kpi.data"]._kpi_today(company), days)
        values = cached_periods_only(self, days)._cached_values(
            company, ("metrics", days), bounds, None
        )
        period = self._period_dates(bounds)
        result = []
        for kpi in catalog.KPI_CATALOG:
            entry = self._catalog_entry(kpi)
            entry.update(formulas.summarize(kpi.unit, values[kpi.code]))
            entry.update(period)
            result.append(entry)
        return result

    @api.model
    @api.readonly
    def get_metric(self, code, days=90, interval="day"):
        """History of one KPI over the last ``days`` days, one point per day, week or month.

        Weeks (Monday to Sunday) and months are calendar ones: the first point is the one holding
        the first day of the period, the last one stops today. A flow KPI's point is its value
        over the point's dates, a snapshot's its value at the end of them.

        :param str code: a catalogue code (``get_catalog()``)
        :param int days: 1 to 366 by day, 731 by week (2 years), 1,096 by month (3 years)
        :param str interval: "day", "week" or "month"
        :returns: the catalogue entry plus ``"days"``, ``"interval"``, ``"date_from"``,
            ``"date_to"`` and ``"points"``: list of ``{"label", "date", "date_from", "date_to",
            "value"}`` (``date`` = ``date_from``; ``label`` "2025-04-30", "2025-W14" or
            "2025-04"), oldest first.
        :raises ValidationError: unknown code, bad ``days`` or ``interval``
        """
        company = self._kpi_company()
        kpi = self._check_code(code)
        interval = self._check_interval(interval)
        days = check_history_days(self.env, days, interval)
        bounds = formulas.interval_bounds(
            self.env["erpconnect.kpi.data"]._kpi_today(company), days, interval
        )
        values = cached_periods_only(self, days)._cached_values(
            company, ("metric", code, days, interval), bounds, [code]
        )
        points = [
            {
                "label": self._point_label(bounds[i], interval),
                "date": bounds[i].isoformat(),
                "date_from": bounds[i].isoformat(),
                "date_to": self._last_day(bounds[i + 1]),
                "value": formulas.format_value(kpi.unit, values[code][i]),
            }
            for i in range(1, len(bounds) - 1)
        ]
        return dict(
            self._catalog_entry(kpi),
            days=days,
            interval=interval,
            date_from=points[0]["date_from"],
            date_to=points[-1]["date_to"],
            points=points,
        )

    @api.model
    @api.readonly
    def get_comparison(self, product_ids, days=30):
        """Product-level KPIs of a few products side by side, this period vs the previous one.

        :param list product_ids: 1 to 20 ids of products of the current company (or shared)
        :param int days: 1 to 365
        :returns: ``{"days", "date_from", "date_to", "previous_date_from", "previous_date_to",
            "currency_id", "metrics": [{"code", "name", "unit", "direction"}], "products":
            [{"id", "name", "default_code", "values": {code: {"value", "previous", "change",
            "change_pct", "no_data"}}}]}``, products in the order given. ``on_hand`` and
            ``stock_value`` are at the end of each period, ``forecast_30d`` the current forecast.
        :raises ValidationError: ids not a non-empty list of integers, too many, unknown or of
            another company
        """
        company = self._kpi_company()
        days = self._check_days(days)
        products = self._check_products(product_ids, company)
        data = self.env["erpconnect.kpi.data"]
        bounds = formulas.period_bounds(data._kpi_today(company), days)
        product_ids = sorted(products.ids)
        figures = data._comparison_figures(company, bounds, product_ids)
        rows = {product_id: row for row, product_id in enumerate(product_ids)}
        return {
            "days": days,
            **self._period_dates(bounds),
            "currency_id": company.currency_id.id,
            "metrics": [
                {
                    "code": metric.code,
                    "name": self.env._(metric.name),
                    "unit": metric.unit,
                    "direction": metric.direction,
                }
                for metric in catalog.PRODUCT_METRICS
            ],
            "products": [
                {
                    "id": product.id,
                    "name": product.display_name,
                    "default_code": product.default_code or "",
                    "values": {
                        metric.code: formulas.summarize(
                            metric.unit, figures[metric.code][rows[product.id]]
                        )
                        for metric in catalog.PRODUCT_METRICS
                    },
                }
                for product in products
            ],
        }

    # ------------------------------------------------------------------------------------------
    # Cache
    # ------------------------------------------------------------------------------------------
    @api.model
    def _cached_values(self, company, key, bounds, codes):
        """``_compute_values`` served from the cache while younger than ``CACHE_TTL`` seconds.

        The key is (database, company, last day, ``key``): the figures are company-level, the
        same for every user allowed to read them, so users of one company share entries.
        """
        data = self.env["erpconnect.kpi.data"]
        return self.env["erpconnect.kpi.cache"]._cached(
            company, (bounds[-1], *key), lambda: data._compute_values(company, bounds, codes)
        )

    # ------------------------------------------------------------------------------------------
    # Checks and helpers
    # ------------------------------------------------------------------------------------------
    @api.model
    def _check_kpi_access(self):
        """Raise AccessError unless the user is an ERPConnect AI user (Viewer or above)."""
        check_viewer(self.env)

    @api.model
    def _kpi_company(self):
        """The company the KPIs are about: the user's current one, after the access check."""
        self._check_kpi_access()
        return self.env.company

    @api.model
    def _check_days(self, days):
        return check_days(self.env, days)

    @api.model
    def _check_interval(self, interval):
        return check_choice(self.env, interval, "interval", formulas.INTERVALS)

    @api.model
    def _check_code(self, code):
        """The catalogue entry of ``code``."""
        check_choice(self.env, code, "code", tuple(catalog.KPI_BY_CODE))
        return catalog.KPI_BY_CODE[code]

    @api.model
    def _check_products(self, product_ids, company):
        """The products of ``product_ids`` in that order, readable by the user and of ``company``
        (or shared), else a ValidationError."""
        if not isinstance(product_ids, (list, tuple)) or not product_ids:
            raise ValidationError(
                self.env._("Products must be given as a non-empty list of product ids.")
            )
        for product_id in product_ids:
            check_record_id(self.env, product_id, "product_ids")
        ids = list(dict.fromkeys(product_ids))
        if len(ids) > MAX_COMPARED_PRODUCTS:
            raise ValidationError(
                self.env._(
                    "Compare at most %(max)s products at once, not %(count)s.",
                    max=MAX_COMPARED_PRODUCTS,
                    count=len(ids),
                )
            )
        found = (
            self.env["product.product"]
            .with_context(active_test=False)
            .search([("id", "in", ids), ("company_id", "in", [False, company.id])])
        )
        missing = [pid for pid in ids if pid not in found.ids]
        if missing:
            raise ValidationError(
                self.env._(
                    "Unknown products or products of another company: %(ids)s.",
                    ids=", ".join(map(str, missing)),
                )
            )
        return self.env["product.product"].browse(ids)

    def _catalog_entry(self, kpi):
        return {
            "code": kpi.code,
            "name": self.env._(kpi.name),
            "category": kpi.category,
            "category_name": self.env._(catalog.CATEGORIES[kpi.category]),
            "unit": kpi.unit,
            "direction": kpi.direction,
            "kind": kpi.kind,
            "description": self.env._(kpi.description),
        }

    @classmethod
    def _period_dates(cls, bounds):
        """First and last days of the last two buckets of ``bounds`` (the period, the previous)."""
        return {
            "date_from": bounds[-2].isoformat(),
            "date_to": cls._last_day(bounds[-1]),
            "previous_date_from": bounds[-3].isoformat(),
            "previous_date_to": cls._last_day(bounds[-2]),
        }

    @staticmethod
    def _last_day(exclusive_end):
        return (exclusive_end - datetime.timedelta(days=1)).isoformat()

    @staticmethod
    def _point_label(start, interval):
        if interval == "week":
            year, week, _weekday = start.isocalendar()
            return "%d-W%02d" % (year, week)
        if interval == "month":
            return start.strftime("%Y-%m")
        return start.isoformat()
