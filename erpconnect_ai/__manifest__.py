{
    "name": "ERPConnect AI",
    "summary": "Demand forecasts, replenishment, ABC/XYZ segments, anomalies and KPIs "
    "computed from your own sales and stock.",
    "version": "18.0.1.3.0",
    "category": "Inventory/Inventory",
    "license": "LGPL-3",
    "author": "ERPConnect AI contributors",
    "website": "https://github.com/erpconnect-ai/erpconnect_ai",
    "maintainers": ["erpconnect-ai"],
    "depends": [
        "mail",
        "resource",
        "sale_management",
        "sale_stock",
        "stock",
        "purchase_stock",
    ],
    "external_dependencies": {
        "python": ["numpy", "pandas", "scikit-learn", "joblib"],
    },
    "data": [
        "security/erpconnect_ai_groups.xml",
        "security/ir.model.access.csv",
        "security/erpconnect_ai_rules.xml",
        "data/ir_cron.xml",
        "views/menus.xml",
        "views/erpconnect_replenishment_views.xml",
        "views/erpconnect_anomaly_views.xml",
        "views/erpconnect_segment_matrix_views.xml",
        "views/product_product_views.xml",
        "views/erpconnect_run_views.xml",
        "views/erpconnect_forecast_views.xml",
        "views/erpconnect_forecast_line_views.xml",
        "views/erpconnect_demand_daily_views.xml",
        "views/res_config_settings_views.xml",
        "views/erpconnect_dashboard_views.xml",
        "views/erpconnect_sample_history_views.xml",
    ],
    "post_init_hook": "post_init_hook",
    "uninstall_hook": "uninstall_hook",
    "demo": [
        "demo/res_users_demo.xml",
        "demo/erpconnect_sample_history_demo.xml",
    ],
    "assets": {
        "web.assets_backend": [
            "erpconnect_ai/static/src/dashboard/**/*",
        ],
        "web.assets_tests": [
            "erpconnect_ai/static/tests/tours/*.js",
        ],
        "web.assets_unit_tests": [
            "erpconnect_ai/static/tests/**/*.test.js",
        ],
    },
    "application": True,
    "installable": True,
}
