"""Odoo's own purchase facts of a company's products, in bulk, for the reorder suggestions."""

import math
from datetime import timedelta

import pandas as pd

from odoo import api, fields, models
from odoo.tools import SQL, float_compare, float_round

#: Receipts (last first) a measured lead time is computed from, per vendor and product.
MEASURED_RECEIPTS = 10
#: Receipts a vendor (and product) needs before its measured lead time is used.
MIN_MEASURED_RECEIPTS = 3
#: Columns of :meth:`ErpconnectPurchaseFacts._get_purchase_facts`.
FACT_COLUMNS = (
    "product_id",
    "supplierinfo_id",
    "vendor_id",
    "vendor_price",
    "min_qty",
    "vendor_delay",
    "purchase_lead_days",
    "lead_time_days",
    "lead_time_std",
    "lead_time_source",
    "measured_lead_time",
    "measured_lead_time_std",
    "measured_receipts",
    "packaging_id",
    "multiple",
    "purchase_uom_id",
    "purchase_uom_ratio",
    "rounding",
    "review_days",
    "vendor_min_order_value",
)


class ErpconnectPurchaseFacts(models.AbstractModel):
    """What Odoo's purchasing knows about each product, read for all products at once.

    * **Vendor** as Odoo chooses it (``product.product._select_seller``): the vendor lines of the
      product's template valid for the company (or shared), for the variant (or all variants),
      on the date, whose partner is active, in the order ``sequence, min_qty desc, price, id``
      (``_prepare_sellers``); with a quantity, the lines whose minimum (in the purchase unit,
      the quantity converted and rounded up as Odoo does) exceeds it are skipped. The first
      line's vendor is kept, and among its lines the cheapest (discounted price in the company
      currency), then by sequence and id. Without any line that fits a quantity, the purchase
      rule falls back on the first vendor line of the company (``stock.rule._run_buy``): so do
      we. A reorder rule of the warehouse with a vendor (``supplier_id``) imposes it.
    * **Lead time** as the reorder rules count it (``stock.rule._get_lead_days`` of a buy
      rule): the vendor's ``delay`` (vendor chosen without quantity) + the company's purchase
      security lead time (``po_lead``) + its days to purchase (``days_to_purchase``). Where the
      vendor (for this product, else for all its products) has at least
      ``MIN_MEASURED_RECEIPTS`` receipts, the measured delay — from the confirmation of the
      purchase order (``date_approve``) to the receipt done (``date_done``), over its last
      ``MEASURED_RECEIPTS`` receipts — gives ``lead_time_std`` (sample standard deviation) and
      replaces the vendor's delay when it is longer (a vendor later than it says).
    * **Lot sizes** in the product's unit: the vendor line's minimum (``min_qty``, converted
      from the purchase unit), the first purchase packaging (``product.packaging`` usable in
      purchase, by sequence) as the multiple, and the rounding of the purchase unit (whole
      purchase units for counted goods, the units of Odoo's "Unit" category).
    * **Vendor terms** of ERPConnect AI on the vendor (``res.partner``, per company): review
      period and minimum order value.
    """

    _name = "erpconnect.purchase.facts"
    _description = "ERPConnect AI purchase facts"

    @api.model
    def _get_purchase_facts(self, company, product_ids, warehouse=None):
        """One row per product of ``product_ids`` (``FACT_COLUMNS``), in that order.

        :param company: ``res.company`` whose vendors, packagings and purchases count
        :param list product_ids: ``product.product`` ids
        :param warehouse: ``stock.warehouse`` whose reorder rules may impose a vendor
        :return: DataFrame: ``product_id``; ``supplierinfo_id``, ``vendor_id`` (0 without
            vendor), ``vendor_price`` (company currency per product unit, NaN without vendor),
            ``min_qty`` (product unit), ``vendor_delay`` (days); ``purchase_lead_days`` (the
            company's security lead time + days to purchase), ``lead_time_days`` (NaN without
            vendor: the analysis's default lead time applies), ``lead_time_std`` (days, 0
            unmeasured), ``lead_time_source`` (``vendor``, ``measured`` or ``""``),
            ``measured_lead_time``, ``measured_lead_time_std`` (NaN unmeasured),
            ``measured_receipts``; ``packaging_id`` (0 none), ``multiple`` (0 none),
            ``purchase_uom_id``, ``purchase_uom_ratio`` (product units per purchase unit),
            ``rounding`` (product unit); ``review_days`` and ``vendor_min_order_value`` of the
            vendor.
        """
        product_ids = [int(pid) for pid in product_ids]
        if not product_ids:
            return pd.DataFrame({name: pd.Series(dtype="float64") for name in FACT_COLUMNS})
        today = fields.Date.context_today(self)
        units = self._read_units(product_ids)
        sellers = self._read_sellers(company, sorted({u["template_id"] for u in units.values()}))
        imposed = self._orderpoint_sellers(company, warehouse, product_ids) if warehouse else {}
        chosen = self._select_sellers(company, units, sellers, today, imposed=imposed)
        packagings = self._purchase_packagings(company, product_ids)
        by_product, by_vendor = self._measured_lead_times(company)
        purchase_lead_days = float(company.po_lead or 0.0) + float(company.days_to_purchase or 0.0)
        vendor_ids = {s["partner_id"] for s in chosen.values() if s}
        terms = self._vendor_terms(company, vendor_ids)
        # Receipts are measured per commercial partner (the vendor company of the orders).
        commercial = {
            partner.id: partner.commercial_partner_id.id
            for partner in self.env["res.partner"].sudo().browse(sorted(vendor_ids))
        }
        rows = []
        for pid in product_ids:
            unit = units[pid]
            seller = chosen.get(pid)
            vendor_id = seller["partner_id"] if seller else 0
            measured_id = commercial.get(vendor_id, 0)
            measured = by_product.get((measured_id, pid)) or by_vendor.get(measured_id)
            row = {
                "product_id": pid,
                "supplierinfo_id": seller["id"] if seller else 0,
                "vendor_id": vendor_id,
                "vendor_price": math.nan,
                "min_qty": 0.0,
                "vendor_delay": math.nan,
                "purchase_lead_days": purchase_lead_days,
                "lead_time_days": math.nan,
                "lead_time_std": 0.0,
                "lead_time_source": "",
                "measured_lead_time": math.nan,
                "measured_lead_time_std": math.nan,
                "measured_receipts": 0,
                "packaging_id": packagings.get(pid, (0, 0.0))[0],
                "multiple": packagings.get(pid, (0, 0.0))[1],
                "purchase_uom_id": unit["po_uom_id"],
                "purchase_uom_ratio": unit["ratio"],
                "rounding": unit["order_rounding"] * unit["ratio"],
                "review_days": 0.0,
                "vendor_min_order_value": 0.0,
            }
            if seller:
                row.update(self._seller_figures(seller, unit))
                delay = row["vendor_delay"]
                row["lead_time_source"] = "vendor"
                if measured:
                    count, mean, std = measured
                    row.update(
                        measured_receipts=count,
                        measured_lead_time=mean,
                        measured_lead_time_std=std,
                        lead_time_std=std,
                    )
                    if mean > delay:
                        delay = mean
                        row["lead_time_source"] = "measured"
                row["lead_time_days"] = delay + purchase_lead_days
                row["review_days"], row["vendor_min_order_value"] = terms.get(vendor_id, (0, 0))
            rows.append(row)
        frame = pd.DataFrame(rows, columns=list(FACT_COLUMNS))
        return frame.astype(
            {
                "product_id": "int64",
                "supplierinfo_id": "int64",
                "vendor_id": "int64",
                "packaging_id": "int64",
                "purchase_uom_id": "int64",
                "measured_receipts": "int64",
                "review_days": "float64",
                "vendor_min_order_value": "float64",
            }
        )

    @api.model
    def _reselect_for_quantities(self, company, facts, quantities):
        """``facts`` with the vendor line Odoo's purchase rule picks for each quantity to order.

        :param company: ``res.company``
        :param DataFrame facts: rows of :meth:`_get_purchase_facts`
        :param dict quantities: ``{product_id: quantity to order in the product unit}``;
            products not in it, or with a quantity ≤ 0, keep their row
        :return: a copy of ``facts`` where ``supplierinfo_id``, ``vendor_id``,
            ``vendor_price``, ``min_qty`` (and the vendor's terms) follow the line chosen with
            the quantity, on the day the order is needed (today + lead time); the lead time
            stays the one of the vendor chosen without quantity, as the reorder rules count it
        """
        wanted = {int(pid): float(qty) for pid, qty in quantities.items() if qty and qty > 0}
        facts = facts.copy()
        if not wanted or facts.empty:
            return facts
        today = fields.Date.context_today(self)
        units = self._read_units(sorted(wanted))
        sellers = self._read_sellers(company, sorted({u["template_id"] for u in units.values()}))
        lead = facts.set_index("product_id")["lead_time_days"]
        chosen = {}
        for pid, qty in wanted.items():
            days = lead.get(pid)
            day = today + timedelta(days=math.ceil(days) if days == days else 0)
            chosen.update(
                self._select_sellers(
                    company, {pid: units[pid]}, sellers, day, quantities={pid: qty}
                )
            )
        terms = self._vendor_terms(company, {s["partner_id"] for s in chosen.values() if s})
        index = {pid: position for position, pid in enumerate(facts["product_id"])}
        for pid, seller in chosen.items():
            position = index.get(pid)
            if seller is None or position is None:
                continue
            if seller["id"] == facts.at[position, "supplierinfo_id"]:
                continue
            figures = self._seller_figures(seller, units[pid])
            review, minimum = terms.get(seller["partner_id"], (0, 0))
            facts.loc[position, ["supplierinfo_id", "vendor_id", "vendor_price", "min_qty"]] = [
                seller["id"],
                seller["partner_id"],
                figures["vendor_price"],
                figures["min_qty"],
            ]
            facts.loc[position, ["review_days", "vendor_min_order_value"]] = [review, minimum]
        return facts

    # ------------------------------------------------------------------------------------------
    # Vendors
    # ------------------------------------------------------------------------------------------
    @api.model
    def _read_units(self, product_ids):
        """``{product_id: {template_id, uom_id, uom_factor, po_uom_id, po_factor, po_rounding,
        order_rounding, ratio}}``: the product's unit and purchase unit (``ratio`` = product
        units per purchase unit). ``order_rounding`` (purchase unit) is the unit's rounding, and
        at least 1 for the units of Odoo's "Unit" category (Units, Dozens): counted goods are
        ordered in whole purchase units, never 428.85 ear plugs."""
        self.env["product.product"].flush_model(["product_tmpl_id"])
        self.env["product.template"].flush_model(["uom_id", "uom_po_id"])
        self.env["uom.uom"].flush_model(["factor", "rounding", "category_id"])
        counted = self.env.ref("uom.product_uom_categ_unit", raise_if_not_found=False)
        counted = counted.id if counted else 0
        self.env.cr.execute(
            SQL(
                """SELECT product.id, tmpl.id, uom.id, uom.factor, po.id, po.factor, po.rounding,
                          po.category_id
                     FROM product_product product
                     JOIN product_template tmpl ON tmpl.id = product.product_tmpl_id
                     JOIN uom_uom uom ON uom.id = tmpl.uom_id
                     JOIN uom_uom po ON po.id = COALESCE(tmpl.uom_po_id, tmpl.uom_id)
                    WHERE product.id = ANY(%s)""",
                list(product_ids),
            )
        )
        return {
            pid: {
                "template_id": template_id,
                "uom_id": uom_id,
                "uom_factor": uom_factor,
                "po_uom_id": po_uom_id,
                "po_factor": po_factor,
                "po_rounding": po_rounding,
                "order_rounding": max(po_rounding, 1.0) if category_id == counted else po_rounding,
                "ratio": uom_factor / po_factor,
            }
            for (
                pid,
                template_id,
                uom_id,
                uom_factor,
                po_uom_id,
                po_factor,
                po_rounding,
                category_id,
            ) in self.env.cr.fetchall()
        }

    @api.model
    def _read_sellers(self, company, template_ids):
        """``{template_id: [vendor line dict]}`` of the lines Odoo's ``_prepare_sellers`` keeps
        for ``company`` (company or shared, active partner), in its order (``sequence, min_qty
        desc, price, id``). Each dict: ``id, product_id, partner_id, min_qty, price_company``
        (discounted price converted to the company currency, per purchase unit), ``date_start,
        date_end, delay, sequence``."""
        if not template_ids:
            return {}
        Seller = self.env["product.supplierinfo"]
        Seller.flush_model(
            [
                "product_tmpl_id",
                "product_id",
                "partner_id",
                "sequence",
                "min_qty",
                "price",
                "discount",
                "currency_id",
                "date_start",
                "date_end",
                "delay",
                "company_id",
            ]
        )
        self.env["res.partner"].flush_model(["active"])
        self.env.cr.execute(
            SQL(
                """SELECT seller.id, seller.product_tmpl_id, seller.product_id, seller.partner_id,
                          seller.min_qty, seller.price, seller.discount, seller.currency_id,
                          seller.date_start, seller.date_end, seller.delay, seller.sequence
                     FROM product_supplierinfo seller
                     JOIN res_partner partner ON partner.id = seller.partner_id
                    WHERE seller.product_tmpl_id = ANY(%s)
                      AND (seller.company_id IS NULL OR seller.company_id = %s)
                      AND partner.active
                    ORDER BY seller.product_tmpl_id, seller.sequence, seller.min_qty DESC,
                             seller.price, seller.id""",
                list(template_ids),
                company.id,
            )
        )
        rows = self.env.cr.fetchall()
        rates = self._currency_rates(company, {row[7] for row in rows})
        sellers = {}
        for (
            seller_id,
            template_id,
            product_id,
            partner_id,
            min_qty,
            price,
            discount,
            currency_id,
            date_start,
            date_end,
            delay,
            sequence,
        ) in rows:
            sellers.setdefault(template_id, []).append(
                {
                    "id": seller_id,
                    "product_id": product_id,
                    "partner_id": partner_id,
                    "min_qty": min_qty or 0.0,
                    "price_company": (price or 0.0)
                    * (1 - (discount or 0.0) / 100)
                    * rates.get(currency_id, 1.0),
                    "date_start": date_start,
                    "date_end": date_end,
                    "delay": delay or 0,
                    "sequence": sequence,
                }
            )
        return sellers

    @api.model
    def _currency_rates(self, company, currency_ids):
        """``{currency_id: rate}`` converting each currency to the company's today
        (``res.currency._get_conversion_rate``, as ``_select_seller`` sorts prices)."""
        today = fields.Date.context_today(self)
        Currency = self.env["res.currency"].sudo()
        return {
            currency.id: Currency._get_conversion_rate(
                currency, company.currency_id, company, today
            )
            for currency in Currency.browse(sorted(cid for cid in currency_ids if cid))
        }

    @api.model
    def _select_sellers(self, company, units, sellers, date, quantities=None, imposed=None):
        """``{product_id: vendor line dict or None}``: ``product.product._select_seller`` of
        each product of ``units`` (see the class docstring), with
        ``quantity=quantities[product_id]`` in the product unit when given (else
        ``quantity=None``: no minimum checked) and ``date``; a line of ``imposed``
        (``{product_id: line id}``, reorder rules with a vendor) wins. With a quantity and no
        line that fits, the first line of the company (the purchase rule's fallback)."""
        precision = self.env["decimal.precision"].precision_get("Product Unit of Measure")
        chosen = {}
        for pid, unit in units.items():
            lines = sellers.get(unit["template_id"], [])
            imposed_id = (imposed or {}).get(pid)
            if imposed_id:
                chosen[pid] = next((s for s in lines if s["id"] == imposed_id), None)
                if chosen[pid]:
                    continue
            quantity = None if quantities is None else quantities.get(pid)
            if quantity and unit["po_uom_id"] != unit["uom_id"]:
                # As uom._compute_quantity(quantity, seller.product_uom): converted, then
                # rounded up to the purchase unit's rounding.
                quantity = float_round(
                    quantity / unit["uom_factor"] * unit["po_factor"],
                    precision_rounding=unit["po_rounding"],
                    rounding_method="UP",
                )
            valid = [
                s
                for s in lines
                if not (s["date_start"] and s["date_start"] > date)
                and not (s["date_end"] and s["date_end"] < date)
                and not (
                    quantity is not None
                    and float_compare(quantity, s["min_qty"], precision_digits=precision) == -1
                )
                and not (s["product_id"] and s["product_id"] != pid)
            ]
            if valid:
                partner = valid[0]["partner_id"]
                same = [s for s in valid if s["partner_id"] == partner]
                chosen[pid] = min(same, key=lambda s: (s["price_company"], s["sequence"], s["id"]))
            elif quantity is not None:
                chosen[pid] = next((s for s in lines if s["product_id"] in (None, pid)), None)
            else:
                chosen[pid] = None
        return chosen

    @api.model
    def _seller_figures(self, seller, unit):
        """Figures of a vendor line in the product unit: ``vendor_price`` (company currency
        per product unit), ``min_qty``, ``vendor_delay``."""
        return {
            "vendor_price": seller["price_company"] / unit["ratio"],
            "min_qty": seller["min_qty"] * unit["ratio"],
            "vendor_delay": float(seller["delay"]),
        }

    @api.model
    def _orderpoint_sellers(self, company, warehouse, product_ids):
        """``{product_id: vendor line id}`` of the active reorder rules of ``warehouse``'s
        stock location that name a vendor (``supplier_id``)."""
        rules = (
            self.env["stock.warehouse.orderpoint"]
            .sudo()
            .search_fetch(
                [
                    ("company_id", "=", company.id),
                    ("location_id", "=", warehouse.lot_stock_id.id),
                    ("product_id", "in", list(product_ids)),
                    ("supplier_id", "!=", False),
                ],
                ["product_id", "supplier_id"],
            )
        )
        return {rule.product_id.id: rule.supplier_id.id for rule in rules}

    @api.model
    def _vendor_terms(self, company, partner_ids):
        """``{partner_id: (review_days, min_order_value)}`` of the vendors, for ``company``."""
        partners = (
            self.env["res.partner"]
            .sudo()
            .with_company(company)
            .browse(sorted(pid for pid in partner_ids if pid))
        )
        return {
            partner.id: (
                float(partner.erpconnect_review_days or 0),
                float(partner.erpconnect_min_order_value or 0.0),
            )
            for partner in partners
        }

    # ------------------------------------------------------------------------------------------
    # Packagings, lead times, open purchases
    # ------------------------------------------------------------------------------------------
    @api.model
    def _purchase_packagings(self, company, product_ids):
        """``{product_id: (packaging_id, qty)}``: the first packaging (sequence, id) of each
        product usable in purchase, of the company or shared; qty in the product unit."""
        Packaging = self.env["product.packaging"]
        Packaging.flush_model(["product_id", "qty", "sequence", "company_id", "purchase"])
        self.env.cr.execute(
            SQL(
                """SELECT DISTINCT ON (product_id) product_id, id, qty
                     FROM product_packaging
                    WHERE product_id = ANY(%s)
                      AND purchase
                      AND qty > 0
                      AND (company_id IS NULL OR company_id = %s)
                    ORDER BY product_id, sequence, id""",
                list(product_ids),
                company.id,
            )
        )
        return {pid: (packaging_id, qty) for pid, packaging_id, qty in self.env.cr.fetchall()}

    @api.model
    def _measured_lead_times(self, company):
        """Measured lead times of the company's vendors: the days from the confirmation of a
        purchase order (``date_approve``) to each of its receipts done (``date_done`` of the
        picking holding a done move from a vendor location for one of its lines), over the last
        ``MEASURED_RECEIPTS`` receipts; a receipt done before the confirmation counts 0 days.

        :return: ``(by_product, by_vendor)``: ``{(vendor_id, product_id): (receipts, mean,
            std)}`` and ``{vendor_id: (receipts, mean, std)}`` (the vendor's receipts of any
            product), each with at least ``MIN_MEASURED_RECEIPTS`` receipts; ``std`` is the
            sample standard deviation (n − 1: the spread of the vendor's future lead times,
            estimated from a few receipts). The vendor is the commercial partner of the order.
        """
        self.env["stock.move"].flush_model(
            ["state", "purchase_line_id", "picking_id", "location_id", "product_id"]
        )
        self.env["stock.picking"].flush_model(["date_done"])
        self.env["purchase.order.line"].flush_model(["order_id"])
        self.env["purchase.order"].flush_model(["date_approve", "company_id", "partner_id"])
        self.env["res.partner"].flush_model(["commercial_partner_id"])
        self.env.cr.execute(
            SQL(
                """
                WITH receipt AS (
                    SELECT DISTINCT COALESCE(vendor.commercial_partner_id, vendor.id) AS vendor_id,
                           move.product_id, picking.id AS picking_id, picking.date_done,
                           GREATEST(EXTRACT(EPOCH FROM picking.date_done - po.date_approve), 0)
                               / 86400.0 AS days
                      FROM stock_move move
                      JOIN stock_location source ON source.id = move.location_id
                      JOIN stock_picking picking ON picking.id = move.picking_id
                      JOIN purchase_order_line line ON line.id = move.purchase_line_id
                      JOIN purchase_order po ON po.id = line.order_id
                      JOIN res_partner vendor ON vendor.id = po.partner_id
                     WHERE move.state = 'done'
                       AND source.usage = 'supplier'
                       AND po.company_id = %(company)s
                       AND po.date_approve IS NOT NULL
                       AND picking.date_done IS NOT NULL
                ),
                per_product AS (
                    SELECT vendor_id, product_id, days,
                           ROW_NUMBER() OVER (PARTITION BY vendor_id, product_id
                                              ORDER BY date_done DESC, picking_id DESC) AS rank
                      FROM receipt
                ),
                per_vendor AS (
                    SELECT vendor_id, days,
                           ROW_NUMBER() OVER (PARTITION BY vendor_id
                                              ORDER BY date_done DESC, picking_id DESC) AS rank
                      FROM (SELECT DISTINCT vendor_id, picking_id, date_done, days
                              FROM receipt) pickings
                )
                SELECT vendor_id, product_id, COUNT(*), AVG(days), STDDEV_SAMP(days)
                  FROM per_product WHERE rank <= %(last)s
                 GROUP BY vendor_id, product_id HAVING COUNT(*) >= %(least)s
                 UNION ALL
                SELECT vendor_id, NULL, COUNT(*), AVG(days), STDDEV_SAMP(days)
                  FROM per_vendor WHERE rank <= %(last)s
                 GROUP BY vendor_id HAVING COUNT(*) >= %(least)s
                """,
                company=company.id,
                last=MEASURED_RECEIPTS,
                least=MIN_MEASURED_RECEIPTS,
            )
        )
        by_product, by_vendor = {}, {}
        for vendor_id, product_id, count, mean, std in self.env.cr.fetchall():
            figures = (int(count), float(mean), float(std or 0.0))
            if product_id is None:
                by_vendor[vendor_id] = figures
            else:
                by_product[(vendor_id, product_id)] = figures
        return by_product, by_vendor

    @api.model
    def _draft_rfq_quantities(self, company_id, product_ids):
        """``{product_id: qty}`` (product unit) in the company's RFQs not confirmed yet (draft,
        sent, to approve): one grouped read for all products."""
        groups = self.env["purchase.order.line"]._read_group(
            [
                ("company_id", "=", company_id),
                ("state", "in", ("draft", "sent", "to approve")),
                ("product_id", "in", list(product_ids)),
            ],
            ["product_id"],
            ["product_uom_qty:sum"],
        )
        return {product.id: qty for product, qty in groups}

    @api.model
    def _open_purchase_lines(self, company_id, product_ids):
        """The company's purchase lines of ``product_ids`` still to receive: RFQs (draft, sent,
        to approve) and confirmed orders not fully received; soonest expected first."""
        lines = self.env["purchase.order.line"].search(
            [
                ("company_id", "=", company_id),
                ("product_id", "in", list(product_ids)),
                ("state", "in", ("draft", "sent", "to approve", "purchase")),
                ("display_type", "=", False),
            ],
            order="date_planned, id",
        )
        return lines.filtered(lambda line: line.qty_received < line.product_qty)
