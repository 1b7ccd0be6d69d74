"""The read APIs run on a read-only cursor: served by a PostgreSQL replica (``db_replica_host``).

Odoo 18 serves a ``/web/dataset/call_kw`` call of a method marked ``@api.readonly`` on a read-only
cursor, on the replica when one is configured. A write there fails ("cannot execute ... in a
read-only transaction"); Odoo then logs a warning and runs the call again on the primary. In
tests the read-only cursor is a savepoint with ``SET TRANSACTION READ ONLY``: a call that writes
is seen here as a read-only attempt followed by a read/write one.
"""

import functools
from datetime import timedelta
from unittest.mock import patch

from odoo import fields
from odoo.tests import TransactionCase, tagged
from odoo.tools import SQL

from ..models import erpconnect_kpi_cache
from .common import SampleHistoryHttpCase

#: (model, method, args, kwargs) of every read API marked ``@api.readonly``; ``PRODUCT`` and
#: ``PRODUCTS`` are replaced by a product with a forecast.
READONLY_CALLS = (
    ("erpconnect.kpi", "get_catalog", [], {}),
    ("erpconnect.kpi", "get_metrics", [], {"days": 30}),
    ("erpconnect.kpi", "get_metric", ["revenue_total"], {"days": 90, "interval": "week"}),
    ("erpconnect.kpi", "get_comparison", ["PRODUCTS"], {"days": 30}),
    ("erpconnect.dashboard", "get_dashboard_data", [], {"days": 30}),
    ("erpconnect.dashboard", "get_kpi_overview", [], {"days": 30}),
    ("erpconnect.dashboard", "get_product_forecast_chart", ["PRODUCT"], {}),
    ("erpconnect.dashboard.layout", "get_layout", [], {}),
    ("erpconnect.run", "get_health", [], {}),
    ("erpconnect.forecast", "get_forecast", ["PRODUCT"], {"horizon_days": 7}),
    ("erpconnect.replenishment", "get_suggestions", [], {"limit": 50}),
    ("erpconnect.anomaly", "get_anomalies", [], {"days": 90}),
    ("product.product", "get_segmentation", [], {"days": 60}),
)


@tagged("post_install", "-at_install")
class TestReadonlyRpc(SampleHistoryHttpCase):
    """Each read API, called as the dashboard calls it by the least-privileged user (a Viewer,
    without Sales or Inventory rights), runs once, on the read-only cursor."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.forecast = cls.env["erpconnect.forecast"].search(
            [("company_id", "=", cls.env.company.id)], order="qty_30d desc", limit=1
        )

    def _cursor_modes(self, model, method, modes):
        """Patch ``model.method`` to record whether each call's cursor is read-only; the wrapper
        keeps the method's attributes (``@api.model``, ``@api.readonly``)."""
        model_class = type(self.env[model])
        original = getattr(model_class, method)

        @functools.wraps(original)
        def recording(records, *args, **kwargs):
            modes.append(records.env.cr.readonly)
            return original(records, *args, **kwargs)

        return patch.object(model_class, method, recording)

    def _call_kw(self, model, method, args, kwargs):
        route = "/web/dataset/call_kw/%s/%s" % (model, method)
        params = {"model": model, "method": method, "args": args, "kwargs": kwargs}
        return self.make_jsonrpc_request(route, params)

    def test_read_apis_run_on_the_readonly_cursor(self):
        self.assertTrue(self.forecast, "the analysis of the sample history forecasts something")
        product_id = self.forecast.product_id.id
        placeholders = {"PRODUCT": product_id, "PRODUCTS": [product_id]}
        self.authenticate(self.viewer.login, self.viewer.login)
        results = {}
        for model, method, args, kwargs in READONLY_CALLS:
            args = [placeholders.get(arg, arg) if isinstance(arg, str) else arg for arg in args]
            # Cold KPI cache: the figures are computed in this call, on its cursor.
            erpconnect_kpi_cache.clear_cache(self.env.cr.dbname)
            modes = []
            with self.subTest(method=method), self._cursor_modes(model, method, modes):
                results[method] = self._call_kw(model, method, args, kwargs)
                # [True, False] would be a write refused on the read-only cursor, then a retry.
                self.assertEqual(modes, [True], "%s.%s: one call, read-only" % (model, method))

        # What each call answered is what the read/write path (the ORM, in this transaction)
        # answers, or a count of the records it reports.
        company = self.env.company
        viewer_env = self.env(user=self.viewer)
        self.assertEqual(
            len(results["get_catalog"]), len(viewer_env["erpconnect.kpi"].get_catalog())
        )
        self.assertEqual(len(results["get_metrics"]), len(results["get_catalog"]))
        self.assertEqual(results["get_metric"]["code"], "revenue_total")
        self.assertEqual(
            [p["id"] for p in results["get_comparison"]["products"]], [product_id], "one product"
        )
        self.assertTrue(results["get_dashboard_data"]["analysis"]["has_results"])
        self.assertTrue(results["get_dashboard_data"]["layout"]["is_default"])
        self.assertEqual(len(results["get_kpi_overview"]["kpis"]), len(results["get_catalog"]))
        self.assertTrue(results["get_product_forecast_chart"]["available"])
        self.assertTrue(results["get_layout"]["is_default"])
        self.assertFalse(
            self.env["erpconnect.dashboard.layout"].search([("user_id", "=", self.viewer.id)]),
            "reading the default layout creates no record",
        )
        self.assertEqual(results["get_health"]["last_run"]["id"], self.analysis_run.id)
        self.assertEqual(results["get_forecast"]["product_id"], product_id)
        self.assertTrue(results["get_forecast"]["available"])
        self.assertEqual(len(results["get_forecast"]["daily"]), 7)
        new_suggestions = self.env["erpconnect.replenishment"].search_count(
            [("company_id", "=", company.id), ("state", "=", "new")]
        )
        self.assertEqual(len(results["get_suggestions"]), min(50, new_suggestions))
        self.assertEqual(len(results["get_segmentation"]["matrix"]), 9)
        since = fields.Date.context_today(self.viewer) - timedelta(days=90 - 1)
        recent_anomalies = self.env["erpconnect.anomaly"].search_count(
            [
                ("company_id", "=", company.id),
                "|",
                "&",
                ("date", ">=", since),
                "|",
                ("z", ">=", 3.0),
                ("z", "<=", -3.0),
                # and the stock-outs that last into those days, whatever z
                "&",
                ("kind", "=", "STOCKOUT"),
                ("end_date", ">=", since),
            ]
        )
        self.assertEqual(len(results["get_anomalies"]), recent_anomalies)

    def test_health_route_runs_on_the_readonly_cursor(self):
        self.authenticate(self.viewer.login, self.viewer.login)
        modes = []
        with self._cursor_modes("erpconnect.run", "get_health", modes):
            health = self.make_jsonrpc_request("/erpconnect_ai/health")
        self.assertEqual(modes, [True])
        self.assertEqual(health["last_run"]["id"], self.analysis_run.id)

    def test_write_apis_run_on_the_primary(self):
        """Control: a method that writes is not marked, and its call gets a read/write cursor."""
        self.authenticate(self.viewer.login, self.viewer.login)
        modes = []
        layout = {"kpis": ["revenue_total"], "panels": ["sales_trend"], "refresh_interval": 60}
        with self._cursor_modes("erpconnect.dashboard.layout", "save_layout", modes):
            saved = self._call_kw("erpconnect.dashboard.layout", "save_layout", [layout], {})
        self.assertEqual(modes, [False])
        self.assertEqual(saved["kpis"], ["revenue_total"])
        self.assertFalse(saved["is_default"])


@tagged("post_install", "-at_install")
class TestCacheGenerationOnReplica(TransactionCase):
    """The KPI cache generation reaches a streaming replica exactly, at every advance."""

    def test_advance_is_logged_exactly(self):
        cache = self.env["erpconnect.kpi.cache"]
        generation = cache._generation()
        cache._invalidate()
        (advance,) = [
            func
            for func in self.env.cr.postcommit._funcs
            if func.__qualname__.startswith("ErpconnectKpiCache._invalidate")
        ]
        self.env.cr.postcommit._funcs.remove(advance)
        for expected in (generation + 1, generation + 2):
            advance()  # as the commit does, on a connection of its own
            self.assertEqual(cache._generation(), expected)
            # A replica replays what the WAL logged. nextval() logs 32 values ahead (log_cnt
            # counts the ones left) and the replica would read last_value + 32, unchanged by the
            # next 31 advances; setval() logs the value itself: log_cnt 0.
            self.env.cr.execute(
                SQL(
                    "SELECT last_value + is_called::int, log_cnt FROM %s",
                    SQL.identifier(erpconnect_kpi_cache.GENERATION_SEQUENCE),
                )
            )
            self.assertEqual(self.env.cr.fetchone(), (expected, 0))
