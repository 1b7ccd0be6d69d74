"""KPI data loaders, products and stock facet: the catalogue, today's stock and the stock
movements of the ledger, reorder rules and points, and the product comparison's figures; and
what the stock-outs lost and the forecasts scored after the fact (``erpconnect.kpi.data``, see
``erpconnect_kpi_data.py``)."""

import datetime

import numpy as np

from odoo import models
from odoo.tools import SQL

from ..engine import kpi_catalog as catalog
from ..engine import kpi_formulas as formulas
from .erpconnect_demand_upkeep import PRODUCT_LINES
from .erpconnect_kpi_data import GROUPED_SEGMENTS_MAX


class ErpconnectKpiDataProducts(models.AbstractModel):
    _inherit = "erpconnect.kpi.data"

    def _load_products(self, scope):
        """Every product of the company (or shared), archived included, by id."""
        rows = self.env.execute_query(
            SQL(
                """
                SELECT pp.id, COALESCE(pp.active, FALSE), COALESCE(pt.sale_ok, FALSE),
                       COALESCE(pt.is_storable, FALSE), COALESCE(pt.list_price, 0)::float8,
                       %(cost)s::float8,
                       COALESCE(%(created)s, -1)
                  FROM product_product pp
                  JOIN product_template pt ON pt.id = pp.product_tmpl_id
                 WHERE pt.company_id IS NULL OR pt.company_id = %(company)s
                 ORDER BY pp.id
                """,
                cost=self._unit_cost_sql(scope),
                created=self._bucket_sql(scope, SQL("pp.create_date")),
                company=scope.company.id,
            )
        )
        table = np.array(rows, dtype=np.float64).reshape(len(rows), 7)
        scope.product_ids = table[:, 0].astype(np.int64)
        scope.catalog = (table[:, 1] * table[:, 2]).astype(bool)
        no_figure = np.full(len(rows), np.nan)
        return {
            "product_active": table[:, 1],
            "product_storable": table[:, 3],
            "product_catalog": scope.catalog,
            "list_price": table[:, 4],
            "unit_cost": np.nan_to_num(table[:, 5]),
            "product_created_bucket": table[:, 6],
            "on_hand": np.zeros(len(rows)),
            "net_moves": np.zeros((len(rows), scope.bucket_count + 1)),
            "customer_moves": np.zeros((len(rows), scope.bucket_count)),
            "rule_min": no_figure,
            "rule_max": no_figure,
            "reorder_point": no_figure,
        }

    def _load_stock(self, scope):
        """Today's on-hand stock in internal locations (quants), and the done stock moves in and
        out of them since the end of the first bucket, by product and bucket.

        When no per-product stock KPI is asked (``STOCK_PRODUCT_CODES``), the stock is summed at
        cost in SQL and handed to the formulas as a single product whose unit is one currency
        unit.
        """
        if catalog.STOCK_PRODUCT_CODES & scope.codes:
            on_hand, net_moves, customer_moves = self._stock_figures(scope)
            return {"on_hand": on_hand, "net_moves": net_moves, "customer_moves": customer_moves}
        on_hand, net_moves, customer_moves = self._stock_figures(scope, valued=True)
        return {
            "on_hand": on_hand,
            "net_moves": net_moves,
            "customer_moves": customer_moves,
            "unit_cost": np.ones(1),
        }

    def _stock_figures(self, scope, product_ids=None, valued=False):
        """Today's stock (P,), net moves into stock (P × (B + 1)) and to customers (P × B) of the
        products of ``scope`` (restricted to ``product_ids`` when given), or with ``valued`` the
        same summed at cost over all products (1,), (1 × (B + 1)), (1 × B).

        Today's stock is the quants of internal locations; the moves are the ledger's
        ``stock_change`` and ``qty_delivered`` since the end of the first bucket.
        """
        size = 1 if valued else scope.product_ids.size
        quant_filter, ledger_filter = SQL(), SQL()
        if product_ids:
            quant_filter = SQL("AND q.product_id = ANY(%s)", list(product_ids))
            ledger_filter = SQL("AND d.product_id = ANY(%s)", list(product_ids))
        cost = SQL("COALESCE(%s, 0)::float8", self._unit_cost_sql(scope)) if valued else SQL("1.0")
        key = SQL("0") if valued else SQL("pp.id")
        quants = self.env.execute_query(
            SQL(
                """
                SELECT %(key)s, SUM(q.quantity::float8 * %(cost)s)
                  FROM stock_quant q
                  JOIN stock_location sl ON sl.id = q.location_id
                  JOIN product_product pp ON pp.id = q.product_id
                 WHERE q.company_id = %(company)s AND sl.usage = 'internal' %(product_filter)s
                 GROUP BY 1
                """,
                key=key,
                cost=cost,
                company=scope.company.id,
                product_filter=quant_filter,
            )
        )
        moved = SQL("AND (d.stock_change <> 0 OR d.qty_delivered <> 0)")
        if valued:
            daily = self._ledger_daily(
                scope,
                SQL("SUM(d.stock_change * p.cost), SUM(d.qty_delivered * p.cost)"),
                ("net", "to_customers"),
                joins=SQL("JOIN %s ON p.id = d.product_id", self._ledger_products_sql(scope)),
                condition=moved,
                start=scope.bounds[1],
            )
            on_hand = np.array([sum(value or 0.0 for _key, value in quants)])
            return on_hand, daily["net"][np.newaxis, :], daily["to_customers"][np.newaxis, :-1]
        moves = self._ledger_per_product(
            scope,
            self._day_bucket_sql(scope),
            (SQL("d.stock_change"), SQL("d.qty_delivered")),
            SQL("%s %s", moved, ledger_filter),
            scope.bounds[1],
            grouped=scope.bucket_count < GROUPED_SEGMENTS_MAX,
        )
        on_hand = np.zeros(size)
        net_moves = np.zeros((size, scope.bucket_count + 1))
        customer_moves = np.zeros((size, scope.bucket_count + 1))
        if quants:
            ids, quantities = np.array(quants, dtype=np.float64).T
            rows, known = scope.positions(ids)
            np.add.at(on_hand, rows[known], quantities[known])
        if moves:
            ids, buckets, net, to_customers = np.array(moves, dtype=np.float64).T
            rows, known = scope.positions(ids)
            buckets = buckets.astype(np.int64)
            np.add.at(net_moves, (rows[known], buckets[known]), net[known])
            np.add.at(customer_moves, (rows[known], buckets[known]), to_customers[known])
        return on_hand, net_moves, customer_moves[:, :-1]

    def _load_rules(self, scope):
        """Sum of the min and max quantities of the company's active reorder rules, per product."""
        rule_min, rule_max = self._sum_per_product(
            scope, "stock.warehouse.orderpoint", ("product_min_qty", "product_max_qty")
        )
        return {"rule_min": rule_min, "rule_max": rule_max}

    def _load_reorder_points(self, scope):
        """Reorder point of the current replenishment suggestions (all warehouses), per product."""
        (reorder_point,) = self._sum_per_product(
            scope, "erpconnect.replenishment", ("reorder_point",)
        )
        return {"reorder_point": reorder_point}

    def _sum_per_product(self, scope, model, fields, product_ids=None):
        """Per product of ``scope``, the sums of ``fields`` over the company's active records of
        ``model`` (restricted to ``product_ids`` when given): one array (P,) per field, ``nan``
        for a product without records.

        One plain ``GROUP BY product_id`` (a few ms for 10,000 products): ``_read_group`` would
        also order the groups by the products' ``_order`` (their translated names), ten times
        the time of the sums. Without record rules, like the other loaders.
        """
        records = self.env[model]
        records.flush_model(["company_id", "product_id", "active", *fields])
        product_filter = SQL()
        if product_ids is not None:
            product_filter = SQL("AND product_id = ANY(%s)", list(product_ids))
        rows = self.env.execute_query(
            SQL(
                """
                SELECT product_id, %(sums)s
                  FROM %(table)s
                 WHERE company_id = %(company)s AND active %(product_filter)s
                 GROUP BY product_id
                """,
                sums=SQL(", ").join(SQL("SUM(%s)::float8", SQL.identifier(f)) for f in fields),
                table=SQL.identifier(records._table),
                company=scope.company.id,
                product_filter=product_filter,
            )
        )
        sums = np.full((len(fields), scope.product_ids.size), np.nan)
        if rows:
            table = np.array(rows, dtype=np.float64).reshape(len(rows), len(fields) + 1)
            positions, known = scope.positions(table[:, 0].astype(np.int64))
            sums[:, positions[known]] = table[known, 1:].T
        return list(sums)

    def _product_figures(self, scope):
        """Product metrics (``PRODUCT_METRICS``) per product of ``scope`` and bucket: the sales
        from the ledger, the distinct customers from the confirmed orders."""
        product_ids = scope.product_ids.tolist()
        sums = self.env.execute_query(
            SQL(
                """
                SELECT d.product_id, %(bucket)s, SUM(d.revenue), SUM(d.qty_ordered),
                       SUM(d.order_count), SUM(d.qty_ordered) FILTER (WHERE p.goods),
                       SUM(d.qty_ordered_delivered) FILTER (WHERE p.goods)
                  FROM erpconnect_demand_daily d JOIN %(products)s ON p.id = d.product_id
                 WHERE d.company_id = %(company)s AND d.date >= %(start)s AND d.date < %(end)s
                   AND d.order_line_count > 0 AND d.product_id = ANY(%(ids)s)
                 GROUP BY 1, 2
                """,
                bucket=self._day_bucket_sql(scope),
                products=self._ledger_products_sql(scope),
                company=scope.company.id,
                start=scope.bounds[0],
                end=scope.bounds[-1],
                ids=product_ids,
            )
        )
        customers = self.env.execute_query(
            SQL(
                """
                SELECT l.product_id, %(bucket)s, COUNT(DISTINCT rp.commercial_partner_id)
                  FROM sale_order so
                  JOIN sale_order_line l ON l.order_id = so.id
                  JOIN res_partner rp ON rp.id = so.partner_id
                 WHERE so.company_id = %(company)s AND so.state = 'sale'
                   AND so.date_order >= %(start)s AND so.date_order < %(end)s
                   AND %(product_lines)s AND l.product_id = ANY(%(ids)s)
                 GROUP BY 1, 2
                """,
                bucket=self._bucket_sql(scope, SQL("so.date_order")),
                company=scope.company.id,
                start=scope.starts[0],
                end=scope.starts[-1],
                product_lines=PRODUCT_LINES,
                ids=product_ids,
            )
        )
        names = ("revenue", "units", "orders", "goods_ordered", "goods_delivered")
        sales = {name: np.zeros((len(product_ids), scope.bucket_count)) for name in names}
        sales["customers"] = np.zeros((len(product_ids), scope.bucket_count))
        for rows, row_names in ((sums, names), (customers, ("customers",))):
            for product_id, bucket, *values in rows:
                for name, value in zip(row_names, values):
                    sales[name][product_ids.index(product_id), bucket] = value or 0.0
        on_hand, net_moves, _customer_moves = self._stock_figures(scope, product_ids)
        products = self.env["product.product"].with_company(scope.company).browse(product_ids)
        unit_cost = np.array(products.mapped("standard_price"), dtype=np.float64)
        sales["cost"] = sales["units"] * unit_cost[:, np.newaxis]
        return formulas.compute_product_metrics(
            scope.bucket_days, sales, on_hand, net_moves, unit_cost, self._forecast_30d(scope)
        )

    # ------------------------------------------------------------------ forecasts

    def _load_stockouts(self, scope):
        """``lost_sales`` per bucket: the estimated value of the current STOCKOUT anomalies,
        spread evenly over their days (``date`` to ``end_date``), summed by bucket (the daily
        value times the days in the bucket: one row per stock-out and bucket, not per day);
        ``nan`` (no data) for a bucket whose days the analysis runs did not all scan (a run
        reports only the stock-outs reaching its scanned days: an earlier bucket would hold
        only the stock-outs that lasted into a scanned one, an undercount)."""
        last_day = scope.bounds[-1] - datetime.timedelta(days=1)
        rows = self.env.execute_query(
            SQL(
                """
                SELECT b - 1,
                       SUM(a.lost_value / (COALESCE(a.end_date, a.date) - a.date + 1)
                           * (LEAST(COALESCE(a.end_date, a.date),
                                    (%(bounds)s::date[])[b + 1] - 1)
                              - GREATEST(a.date, (%(bounds)s::date[])[b]) + 1))
                  FROM erpconnect_anomaly a
                 CROSS JOIN LATERAL generate_series(
                           width_bucket(GREATEST(a.date, %(first)s::date), %(bounds)s::date[]),
                           width_bucket(LEAST(COALESCE(a.end_date, a.date), %(last)s::date),
                                        %(bounds)s::date[])) AS b
                 WHERE a.company_id = %(company)s
                   AND a.active
                   AND a.kind = 'STOCKOUT'
                   AND a.date <= %(last)s
                   AND COALESCE(a.end_date, a.date) >= %(first)s
                 GROUP BY 1
                """,
                bounds=scope.bounds,
                first=scope.bounds[0],
                last=last_day,
                company=scope.company.id,
            )
        )
        lost_sales = self._by_bucket(scope, rows, ("lost_sales",))["lost_sales"]
        ends = [bound.toordinal() for bound in scope.bounds[1:]]
        scanned = self._scanned(scope, ends, scope.bucket_days.astype(np.int64))
        return {"lost_sales": np.where(scanned, lost_sales, np.nan)}

    def _load_forecast_scores(self, scope):
        """Per bucket, the forecast weeks scored after the fact (``erpconnect.forecast.accuracy``,
        current rows) whose last day is in the bucket: their sMAPE and MASE weighted by the days
        scored (``forecast_accuracy_smape``, ``forecast_accuracy_mase``: ``nan`` without any),
        their adjusted product-days and summed statistical − adjusted errors
        (``adjusted_days``, ``adjusted_gain``)."""
        rows = self.env.execute_query(
            SQL(
                """
                SELECT width_bucket(s.date_to, %(bounds)s::date[]) - 1,
                       SUM(s.adjusted_days),
                       SUM(s.adjusted_days * (s.statistical_adjusted_mae - s.adjusted_mae))
                           FILTER (WHERE s.adjusted_days > 0),
                       SUM(s.smape * s.days) FILTER (WHERE s.smape IS NOT NULL)
                           / NULLIF(SUM(s.days) FILTER (WHERE s.smape IS NOT NULL), 0),
                       SUM(s.mase * s.days) FILTER (WHERE s.mase IS NOT NULL)
                           / NULLIF(SUM(s.days) FILTER (WHERE s.mase IS NOT NULL), 0)
                  FROM erpconnect_forecast_accuracy s
                 WHERE s.company_id = %(company)s
                   AND s.active
                   AND s.days > 0
                   AND s.date_to >= %(first)s
                   AND s.date_to < %(end)s
                 GROUP BY 1
                """,
                bounds=scope.bounds,
                first=scope.bounds[0],
                end=scope.bounds[-1],
                company=scope.company.id,
            )
        )
        arrays = self._by_bucket(
            scope, [row[:3] for row in rows], ("adjusted_days", "adjusted_gain")
        )
        for name, column in (("forecast_accuracy_smape", 3), ("forecast_accuracy_mase", 4)):
            arrays[name] = np.full(scope.bucket_count, np.nan)
            for row in rows:
                if 0 <= row[0] < scope.bucket_count and row[column] is not None:
                    arrays[name][row[0]] = row[column]
        return arrays
