"""Checksums of the model files the analysis saved, kept in the database.

The model files live in the filestore (``<filestore>/erpconnect_ai/models/company_<id>/``).
Pickles can run code when loaded, and whoever can write a file there can write a sidecar that
matches it: the proof that a file is ours is its checksum recorded here, out of the filestore's
reach. The forecast step hands the recorded checksums to the engine
(``engine.model_store.ModelDirectory``), which refuses (refits over) any file without a matching
one, and records the checksums of the files it saved.
"""

import os
import shutil

from odoo import api, fields, models
from odoo.tools import SQL, config

from .. import engine

#: Folder of the addon in the database's filestore.
FILESTORE_FOLDER = "erpconnect_ai"


class ErpconnectModelFile(models.Model):
    """The checksum of the model file saved for one product of one company."""

    _name = "erpconnect.model.file"
    _description = "ERPConnect AI model file checksum"
    _order = "company_id, product_id"
    _rec_name = "product_id"
    _log_access = False  # written in bulk by the analysis

    company_id = fields.Many2one("res.company", required=True, index=True, ondelete="cascade")
    product_id = fields.Many2one("product.product", required=True, ondelete="cascade")
    checksum = fields.Char(
        required=True,
        help="sha256 of the model's sidecar file, which holds the sha256 and size of the model "
        "bytes (engine.model_store.file_checksum).",
    )

    _sql_constraints = [
        (
            "company_product_unique",
            "UNIQUE(company_id, product_id)",
            "A product has one model file per company.",
        ),
    ]

    # ------------------------------------------------------------------ directories

    @api.model
    def _get_root(self):
        """Directory of the addon's files in this database's filestore."""
        return os.path.join(config.filestore(self.env.cr.dbname), FILESTORE_FOLDER)

    @api.model
    def _get_company_dir(self, company):
        """Directory of ``company``'s model files."""
        return os.path.join(self._get_root(), "models", "company_%d" % company.id)

    @api.model
    def _remove_files(self):
        """Delete the addon's folder of the filestore (uninstall); returns it, or "" when there
        was none."""
        root = self._get_root()
        if not os.path.isdir(root):
            return ""
        shutil.rmtree(root, ignore_errors=True)
        return root

    # ------------------------------------------------------------------ checksums

    @api.model
    def _model_directory(self, company_id, directory, product_ids):
        """``engine.model_store.ModelDirectory`` of ``directory`` with the checksums recorded
        for ``product_ids`` of the company (one query)."""
        rows = self.env.execute_query(
            SQL(
                """
                SELECT product_id, checksum
                  FROM erpconnect_model_file
                 WHERE company_id = %s AND product_id = ANY(%s)
                """,
                company_id,
                [int(product_id) for product_id in product_ids],
            )
        )
        return engine.model_store.ModelDirectory(directory, dict(rows))

    @api.model
    def _record_checksums(self, company_id, written):
        """Record ``written`` (product id → checksum of the file just saved) for the company,
        in one statement. Called by the analysis (superuser) in the transaction of the batch
        that saved the files: if the batch is rolled back, so are its checksums, and the files
        are refused and refitted next time."""
        if not written:
            return
        self.env.flush_all()
        self.env.execute_query(
            SQL(
                """
                INSERT INTO erpconnect_model_file (company_id, product_id, checksum)
                SELECT %s, product_id, checksum
                  FROM unnest(%s::int[], %s::varchar[]) AS v(product_id, checksum)
                    ON CONFLICT (company_id, product_id) DO UPDATE SET checksum = EXCLUDED.checksum
                """,
                company_id,
                list(written),
                list(written.values()),
            )
        )
        self.invalidate_model(["checksum"])
