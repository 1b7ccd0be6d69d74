"""The hand-computed KPI table of the company of ``test_erpconnect_kpi.py`` (its docstring
tells the story), shared by that Odoo test and by the Odoo-free port ``tests/test_kpi_formulas.py``
(which feeds the same story to ``engine/kpi_formulas.py`` as hand-written aggregates). No Odoo
import here: pytest loads this file by its path.
"""

#: "Data up to" days of the two successful analysis runs (each scans the 30 days up to it).
SCANNED_THROUGH = ("2025-03-19", "2025-04-27")

# Every KPI of the catalogue with get_metrics(30): (value, previous), by hand.
EXPECTED_30_DAYS = {
    # current lines: A 10×100 + D 80 + B 20×50 + A 5×90 + B 4×50 + F 2×45 + A 1×100
    #   = 1000 + 80 + 1000 + 450 + 200 + 90 + 100 = 2920; previous: A 8×100 + B 10×50 = 1300
    "revenue_total": (2920.0, 1300.0),
    # (2920 − 1300) / 1300 × 100 = 124.6154; previous (1300 − 500) / 500 × 100 = 160
    "revenue_growth": (124.6154, 160.0),
    # cost: A 16×60 + B 24×20 + D 0 + F 2×25 = 960 + 480 + 50 = 1490 → 2920 − 1490 = 1430;
    # previous A 8×60 + B 10×20 = 680 → 1300 − 680 = 620
    "gross_profit": (1430.0, 620.0),
    # 1430 / 2920 × 100 = 48.9726; 620 / 1300 × 100 = 47.6923
    "gross_margin": (48.9726, 47.6923),
    # 2920 / 5 orders (O1, O2, O3, O5, O6) = 584; 1300 / 2 = 650
    "average_order_value": (584.0, 650.0),
    # 2920 / 4 products (A, B, D, F) = 730; 1300 / 2 (A, B) = 650
    "revenue_per_active_product": (730.0, 650.0),
    # 10 + 1 + 20 + 5 + 4 + 2 + 1 = 43; 8 + 10 = 18
    "units_sold": (43, 18),
    "order_count": (5, 2),
    # (5 − 2) / 2 × 100 = 150; (2 − 1) / 1 × 100 = 100 (Q1 alone in the base period)
    "order_growth": (150.0, 100.0),
    # goods (not the service D): ordered 10 + 20 + 5 + 4 + 2 + 1 = 42, delivered 10 + 15 + 5 + 4
    # = 34 → 80.9524; previous 18 / 18 → 100
    "fulfilment_rate": (80.9524, 100.0),
    # deliveries done: O1 on time, O2 late (04-14 > 04-12), O3 late (04-22 > due 04-20) → 2/3;
    # previous P1 on time, P2 late (03-20 > 03-18) → 1/2
    "late_delivery_rate": (66.6667, 50.0),
    # Acme (O1 via John, O3), Bob, Dave = 3; previous Bob, Carol = 2
    "active_customers": (3, 2),
    # Acme (2 orders in the period), Bob (2 in it, Q1 and P1 before) are repeat, Dave not → 2/3;
    # previous: Bob (Q1 before) yes, Carol (first order) no → 1/2
    "repeat_customer_rate": (66.6667, 50.0),
    # A 72×60 + B 41×20 + C 30×10 = 4320 + 820 + 300 = 5440; on 04-01: 87×60 + 40×20 + 300 = 6320
    "stock_value": (5440.0, 6320.0),
    # delivered at cost: A 15×60 + B 19×20 = 1280 → 1280 × 365 / 30 / ((6320 + 5440) / 2) = 2.6485;
    # previous: A 8×60 + B 10×20 = 680 → 680 × 365 / 30 / ((7000 + 6320) / 2) = 1.2422
    # (on 03-02: 95×60 + 50×20 + 300 = 7000)
    "inventory_turnover": (2.6485, 1.2422),
    # 5440 / (1280 / 30) = 127.5; 6320 / (680 / 30) = 278.8235
    "days_of_cover": (127.5, 278.8235),
    # A 72 < min 80, B 41 < ROP 50 (F has none in stock) → 2; on 04-01 B 40 < 50 → 1
    "low_stock_count": (2, 1),
    # F (0, created 04-10) → 1; on 04-01 F did not exist → 0
    "out_of_stock_count": (1, 0),
    # A 72 < 75, B 41 < 50, F 0 < 2 → 3; on 04-01: B 40 < 50 → 1
    "below_rop_count": (3, 1),
    # B 41 > max 40, C 30 without rule nor sale in 90 days → 2;
    # on 04-01: C (30 > 180 days × 3 / 90 = 6) → 1
    "overstock_count": (2, 1),
    # C: no sale since 01-15, 90 days before 05-01 is 01-31 → 30 × 10 = 300; on 04-01 it sold
    # within 90 days (01-15 ≥ 01-01) → 0
    "dead_stock_value": (300.0, 0.0),
    # products sold: A, B, D, F; previous A, B
    "active_product_count": (4, 2),
    # A, B, C, D, F; on 04-01 F did not exist yet
    "product_count": (5, 4),
    "new_product_count": (1, 0),
    # (100 + 50 + 30 + 80 + 40) / 5 = 60; (100 + 50 + 30 + 80) / 4 = 65
    "average_list_price": (60.0, 65.0),
    # 5 − 4 = 1 (C); 4 − 2 = 2 (C, D)
    "unsold_product_count": (1, 2),
    # forecast weeks scored after the fact, ending in April: A (to 04-20) sMAPE 0.2 MASE 0.8 over
    # 7 days, B (04-27) 0.4 / 1.2 over 7, C (04-13) 0.6 / 1.0 over 3 (B's staged week left
    # out): sMAPE (0.2 × 7 + 0.4 × 7 + 0.6 × 3) / 17 = 6 / 17 = 0.352941 → 35.2941 %;
    # previous: A (to 03-16) 0.5 over 7 → 50 %
    "forecast_accuracy_smape": (35.2941, 50.0),
    # (0.8 × 7 + 1.2 × 7 + 1.0 × 3) / 17 = 17 / 17 = 1.0; previous 1.5
    "forecast_accuracy_mase": (1.0, 1.5),
    # anomalies on 04-27, 04-20, 04-10, 03-28, 03-10 (and a staged one on 04-26, left out);
    # the March run scanned 02-18..03-19, the April run 03-29..04-27 (SCANNED_THROUGH, 30 days
    # each): 7 days to 04-30 (scanned up to 04-27): 04-27 → 1; the 7 days to 03-31 hold
    # 03-25..03-28, never scanned → no data (issue 14.11: not compared with 0 or a partial count)
    "anomalies_7d": (1, None),
    # 30 days to 04-30: 04-27, 04-20, 04-10 → 3; to 03-31: 03-20..03-28 not scanned → no data
    "anomalies_30d": (3, None),
    # B's stock-out 03-30..04-03 lost 500 (10 units × 50), 100 a day: 04-01..04-03 → 300
    # (A's staged stock-out of 04-20 is left out); the previous period 03-02..03-31 was not
    # scanned on 03-20..03-28 → no data, not the 200 of 03-30, 03-31 (a run reports only the
    # stock-outs reaching its scanned days)
    "lost_sales": (300.0, None),
    # scored weeks ending in the period: A (to 04-20) 4 adjusted days, statistical error 5,
    # adjusted 2 → 4 × 3 = 12; B (to 04-27) 2 days, 1 vs 4 → 2 × −3 = −6; C's week has none;
    # → (12 − 6) / (4 + 2) = 1.0 (B's staged week of 04-29 is left out);
    # previous: A (to 03-16) 5 days, 2 vs 3 → −5 / 5 = −1.0
    "forecast_value_added": (1.0, -1.0),
    # last successful run 04-28 (4 products), before 04-01 the run of 03-20 (3 products)
    "trained_model_count": (4, 3),
    "last_training_date": ("2025-04-28", "2025-03-20"),
    # suggestions of 04-28: A applied, B new, F dismissed → 1/3; none created in March
    "suggestions_applied_rate": (33.3333, None),
    # first delivery − confirmation: O1 1 d, O2 4 d, O3 2 d → 7/3; previous P1 2 d, P2 5 d → 3.5
    "order_processing_time": (2.3333, 3.5),
    # last delivery − quotation of the fully delivered orders: O1 04-04 − 04-01 = 3 d,
    # O3 04-22 − 04-18 = 4 d → 3.5 (O2 has a backorder); previous P1 3 d, P2 6 d → 4.5
    "order_cycle_time": (3.5, 4.5),
    # 1 − 2/3; previous 1 − 1/2
    "on_time_delivery_rate": (33.3333, 50.0),
}
