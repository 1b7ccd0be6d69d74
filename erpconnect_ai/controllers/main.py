from odoo import http
from odoo.http import request


class ErpconnectController(http.Controller):
    @http.route("/erpconnect_ai/health", type="json", auth="user", methods=["POST"], readonly=True)
    def health(self):
        """Health of the analysis for the user's current company, for monitoring.

        JSON-RPC body ``{"jsonrpc": "2.0", "method": "call", "params": {}}`` with a session
        cookie; the result is ``erpconnect.run.get_health()``.
        """
        return request.env["erpconnect.run"].get_health()
