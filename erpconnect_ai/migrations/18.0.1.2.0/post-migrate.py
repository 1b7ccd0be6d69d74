"""18.0.1.2.0: daily forecast lines no longer carry create/write user and date (``_log_access``
off): drop the columns, and their foreign keys with them, that older versions created."""

from odoo.tools import SQL

LOG_ACCESS_COLUMNS = ("create_uid", "create_date", "write_uid", "write_date")


def drop_log_access_columns(cr):
    cr.execute(
        SQL(
            "ALTER TABLE erpconnect_forecast_line %s",
            SQL(", ").join(
                SQL("DROP COLUMN IF EXISTS %s", SQL.identifier(column))
                for column in LOG_ACCESS_COLUMNS
            ),
        )
    )


def migrate(cr, version):
    drop_log_access_columns(cr)
