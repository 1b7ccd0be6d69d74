{
    "name": "ERPConnect AI",
    "summary": "Demand forecasts, replenishment, ABC/XYZ segments, anomalies and KPIs "
    "computed from your own sales and stock.",
    "version": "18.0.1.0.0",
    "category": "Inventory/Inventory",
    "license": "LGPL-3",
    "author": "ERPConnect AI contributors",
    "website": "https://github.com/erpconnect-ai/erpconnect_ai",
    "maintainers": ["erpconnect-ai"],
    "depends": ["mail", "sale_management", "stock", "purchase_stock"],
    "external_dependencies": {
        "python": ["numpy", "pandas", "scikit-learn", "joblib"],
    },
    "data": [
        "security/erpconnect_ai_groups.xml",
        "security/ir.model.access.csv",
        "security/erpconnect_ai_rules.xml",
        "views/menus.xml",
    ],
    "demo": [
        "demo/res_users_demo.xml",
    ],
    "assets": {},
    "application": True,
    "installable": True,
}
