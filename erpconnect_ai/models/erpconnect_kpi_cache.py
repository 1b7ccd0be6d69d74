"""The per-process cache of the KPI and dashboard figures, dropped in every worker at once.

Figures are company-level (the same for every user allowed to read them): each worker process
keeps them ``CACHE_TTL`` seconds in a :class:`~..tools.ttl_cache.TTLCache` under (database,
company, cache generation, key...). The generation is a PostgreSQL sequence that
``_invalidate`` advances once the transaction that changed the figures is committed: every
worker reads it with its next lookup and misses its old entries. Reading the generation never
advances it (the read paths stay read-only).
"""

import logging

import psycopg2

from odoo import api, models, sql_db
from odoo.tools import SQL

from ..tools.ttl_cache import TTLCache

_logger = logging.getLogger(__name__)

#: Seconds a computed result stays in the cache (per database, company, period and KPI).
CACHE_TTL = 120.0
#: Cached results kept at most per process; the oldest quarter goes first.
CACHE_MAX_ENTRIES = 256
#: PostgreSQL sequence whose value is part of every cache key. It is advanced with ``setval``
#: (under a lock, in order), which WAL-logs the exact value: ``nextval`` alone logs 32 values
#: ahead, and a streaming replica serving the read-only calls (``db_replica_host``) would see the
#: generation move only once every 32 advances.
GENERATION_SEQUENCE = "erpconnect_kpi_cache_generation"

#: This worker process's cache.
CACHE = TTLCache(CACHE_TTL, CACHE_MAX_ENTRIES)


def clear_cache(dbname, company_ids=None):
    """Forget the cached figures of database ``dbname`` (of the companies ``company_ids``)."""
    CACHE.discard(lambda key: key[0] == dbname and (company_ids is None or key[1] in company_ids))


def _pending_companies(pending):
    """``company_ids`` to clear at the end of a transaction: None (all) when one call said all."""
    if None in pending:
        return None
    return frozenset().union(*pending)


class ErpconnectKpiCache(models.AbstractModel):
    """Lookup and invalidation of the cached KPI and dashboard figures."""

    _name = "erpconnect.kpi.cache"
    _description = "ERPConnect AI KPI cache"

    def init(self):
        self.env.cr.execute(
            SQL("CREATE SEQUENCE IF NOT EXISTS %s", SQL.identifier(GENERATION_SEQUENCE))
        )

    @api.model
    def _cached(self, company, key, compute):
        """``compute()`` served from the cache while younger than ``CACHE_TTL`` seconds, under
        (database, company, generation, ``key``...).

        For company-level data only (the same for every user allowed to read it); callers must
        not modify what it returns. With ``erpconnect_uncached`` in the context (set by the
        public methods for a period the screens do not offer: ``arguments.cached_periods_only``)
        ``compute()`` is returned without being kept.
        """
        if self.env.context.get("erpconnect_uncached"):
            return compute()
        cache_key = (self.env.cr.dbname, company.id, self._generation(), *key)
        return CACHE.get_or_compute(cache_key, compute)

    @api.model
    def _generation(self):
        """Current value of the cache generation (a read: it does not advance it)."""
        # last_value stays at the start value until the first nextval() sets is_called
        return self.env.execute_query(
            SQL(
                "SELECT last_value + is_called::int FROM %s",
                SQL.identifier(GENERATION_SEQUENCE),
            )
        )[0][0]

    @api.model
    def _invalidate(self, company_ids=None):
        """Drop the cached figures of this database (of ``company_ids`` only, when given), now and
        again when the transaction ends; once it is committed, the other worker processes drop
        theirs too (all companies: the cache generation advances).

        Called when sales are confirmed or cancelled (``sale.order``), when the demand ledger
        changes, and when an analysis run finishes (``erpconnect.run``).
        """
        cr = self.env.cr
        companies = frozenset(company_ids) if company_ids is not None else None
        clear_cache(cr.dbname, companies)
        pending = cr.postcommit.data.setdefault("erpconnect_kpi_invalidate", set())
        if not pending:
            dbname = cr.dbname

            def clear():
                clear_cache(dbname, _pending_companies(pending))

            def advance_generation():
                clear()
                # after the commit, on a connection of its own (the request's may be closing);
                # the commit is done: a failure here must not fail the request
                try:
                    with sql_db.db_connect(dbname).cursor() as generation_cr:
                        generation_cr.execute(
                            SQL(
                                "SELECT pg_advisory_xact_lock(%s::regclass::oid::bigint)",
                                GENERATION_SEQUENCE,
                            )
                        )
                        generation_cr.execute(
                            SQL(
                                "SELECT setval(%s, nextval(%s))",
                                GENERATION_SEQUENCE,
                                GENERATION_SEQUENCE,
                            )
                        )
                except psycopg2.Error:
                    _logger.warning(
                        "KPI cache generation not advanced: other workers keep their cached "
                        "KPIs for up to %s s",
                        CACHE_TTL,
                        exc_info=True,
                    )

            cr.postcommit.add(advance_generation)
            cr.postrollback.add(clear)
        pending.add(companies)
