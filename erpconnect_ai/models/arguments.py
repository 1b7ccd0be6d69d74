"""Checks of the public (JSON-RPC) methods: who may call them, and the sizes they accept.

Every public method checks its caller and its arguments with these helpers before reading
anything, so that a wrong argument gives a translated ``ValidationError`` naming the argument,
its allowed range and the value received, never a traceback, and a user outside the ERPConnect
AI groups an ``AccessError``.

The sizes are bounded by what the screens ask for, with room for JSON-RPC callers, so that no
call makes a worker compute or hold more than the largest one measured by
``bench/bounds_bench.py`` (docs/architecture.md, "Bounded calls"):

============================================  ============================================
method                                         accepted
============================================  ============================================
``erpconnect.dashboard.get_dashboard_data``    ``days`` 1..``MAX_DASHBOARD_DAYS`` (UI: 7, 30, 90)
``erpconnect.dashboard.get_kpi_overview``      ``days`` 1..``MAX_PERIOD_DAYS``
``erpconnect.kpi.get_metrics``                 ``days`` 1..``MAX_PERIOD_DAYS``
``erpconnect.kpi.get_comparison``              ``days`` 1..``MAX_PERIOD_DAYS``, 1..20 ids
``erpconnect.kpi.get_metric``                  ``days`` 1..``MAX_HISTORY_DAYS[interval]``
``erpconnect.dashboard
.get_product_forecast_chart``                  ``history_days`` 1..``MAX_CHART_HISTORY_DAYS``
``product.product.get_segmentation``           ``days`` 7..``MAX_SEGMENTATION_DAYS``
``erpconnect.anomaly.get_anomalies``           ``days`` 1..``MAX_PERIOD_DAYS``, ``z`` > 0,
                                               at most ``MAX_LIST_ROWS`` rows
``erpconnect.replenishment.get_suggestions``   ``limit`` 1..``MAX_LIST_ROWS``
``erpconnect.forecast.get_forecast``           ``horizon_days`` 1..the ``horizon_days``
                                               setting (≤ 365)
any record id                                  1..``MAX_RECORD_ID``
============================================  ============================================

Cached figures (``erpconnect.kpi.cache``) are kept only for the periods the screens offer and a
year (``CACHED_PERIODS``): any other period is computed for its caller and not kept, so that no
argument can fill a worker's cache with entries nobody else asks for.
"""

import math

from odoo.exceptions import AccessError, ValidationError

#: Periods (days) whose figures are cached: the ones the dashboard and the KPIs screen offer, and
#: a year (the yearly history external callers and reports ask for, by month: 40 ms a call on a
#: 1.9 M-line company, asked by every caller alike).
CACHED_PERIODS = (7, 30, 90, 365)
#: Longest period of the KPI values and the product comparison: a year (its previous period is
#: the year before).
MAX_PERIOD_DAYS = 365
#: Longest period of the whole dashboard: its longest choice. Its sales panels hold a row per
#: product and day: a year took 500 MB more of a worker's memory on 10,000 products
#: (bench/bounds_bench.py), 90 days 125 MB.
MAX_DASHBOARD_DAYS = 90
#: Longest history of one KPI per interval, in days: a year by day (≤ 366 points), two years by
#: week (≤ 106 points), three years by month (≤ 37 points); the KPIs screen asks for its period
#: (≤ 90 days). On 10,000 products a per-product stock KPI by week or month took about 630 MB
#: more of a worker's memory for any of these lengths (bench/bounds_bench.py).
MAX_HISTORY_DAYS = {"day": 366, "week": 731, "month": 1096}
#: Longest daily sales history of the dashboard's forecast chart: a year by day.
MAX_CHART_HISTORY_DAYS = 366
#: Longest look-back of ``get_segmentation``: a year, the analysis' default look-back (two years
#: took 745 MB more of a worker's memory on 10,000 products, bench/bounds_bench.py).
MAX_SEGMENTATION_DAYS = 365
#: Most rows a list method returns (``get_suggestions(limit)``, ``get_anomalies``).
MAX_LIST_ROWS = 1000
#: Largest record id: PostgreSQL's ``integer`` (a larger one is no record of ours).
MAX_RECORD_ID = 2**31 - 1

VIEWER_GROUP = "erpconnect_ai.group_erpconnect_viewer"
ADMIN_GROUP = "erpconnect_ai.group_erpconnect_admin"


def is_whole_number(value):
    """True for an ``int`` that is not a ``bool`` (JSON ``true`` is not a number of days)."""
    return isinstance(value, int) and not isinstance(value, bool)


def check_whole_number(env, value, name, minimum, maximum):
    """``value`` if it is a whole number from ``minimum`` to ``maximum``.

    :raise ValidationError: saying the name, the range and the value received
    """
    if not is_whole_number(value) or not minimum <= value <= maximum:
        raise ValidationError(
            env._(
                "%(name)s must be a whole number from %(min)s to %(max)s, got %(value)r.",
                name=name,
                min=minimum,
                max=maximum,
                value=value,
            )
        )
    return value


def check_days(env, days, name="days", minimum=1, maximum=MAX_PERIOD_DAYS):
    """``days`` if it is a whole number of days from ``minimum`` to ``maximum`` (default: a
    period, ``MAX_PERIOD_DAYS``)."""
    return check_whole_number(env, days, name, minimum, maximum)


def check_history_days(env, days, interval):
    """``days`` of a KPI history by ``interval`` (already checked): 1 to
    ``MAX_HISTORY_DAYS[interval]``, the error saying the other intervals' limits."""
    maximum = MAX_HISTORY_DAYS[interval]
    if not is_whole_number(days) or not 1 <= days <= maximum:
        raise ValidationError(
            env._(
                "days must be a whole number from 1 to %(max)s for a history by %(interval)s "
                "(by day up to %(day)s, by week up to %(week)s, by month up to %(month)s), "
                "got %(value)r.",
                max=maximum,
                interval=interval,
                day=MAX_HISTORY_DAYS["day"],
                week=MAX_HISTORY_DAYS["week"],
                month=MAX_HISTORY_DAYS["month"],
                value=days,
            )
        )
    return days


def check_limit(env, limit, name="limit"):
    """``limit`` if it is a whole number of rows from 1 to ``MAX_LIST_ROWS``."""
    return check_whole_number(env, limit, name, 1, MAX_LIST_ROWS)


def check_positive_number(env, value, name):
    """``value`` if it is a finite number (int or float, not bool) above 0."""
    valid = (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value > 0
    )
    if not valid:
        raise ValidationError(
            env._("%(name)s must be a positive number, got %(value)r.", name=name, value=value)
        )
    return value


def check_record_id(env, value, name):
    """``value`` if it can be a record id (a whole number from 1 to ``MAX_RECORD_ID``)."""
    if not is_whole_number(value) or not 1 <= value <= MAX_RECORD_ID:
        raise ValidationError(
            env._(
                "%(name)s must be a record id (a positive whole number), got %(value)r.",
                name=name,
                value=value,
            )
        )
    return value


def check_choice(env, value, name, choices):
    """``value`` if it is one of ``choices``."""
    if not isinstance(value, str) or value not in choices:
        raise ValidationError(
            env._(
                "%(name)s must be one of %(choices)s, got %(value)r.",
                name=name,
                choices=", ".join(choices),
                value=value,
            )
        )
    return value


def check_viewer(env):
    """Raise AccessError unless the user is an ERPConnect AI user (Viewer and above).

    For the public methods of the abstract models (dashboard, KPIs, segmentation), which have
    no access rules of their own: they read company aggregates as superuser once this passed.
    """
    if not env.su and not env.user.has_group(VIEWER_GROUP):
        raise AccessError(
            env._("Only ERPConnect AI users (Viewer and above) can read this information.")
        )


def is_admin(env):
    """True for an ERPConnect AI administrator (or the superuser)."""
    return env.su or env.user.has_group(ADMIN_GROUP)


def cached_periods_only(records, days):
    """``records`` whose KPI and dashboard figures are cached only when ``days`` is one of
    ``CACHED_PERIODS`` (any other period is computed and not kept). Whatever the caller's
    context says, the flag is set here both ways."""
    return records.with_context(erpconnect_uncached=days not in CACHED_PERIODS)
