# The official Odoo 18.0 image plus the addon's Python packages (requirements.txt).
FROM odoo:18.0
USER root
COPY requirements.txt /tmp/erpconnect_ai-requirements.txt
RUN pip3 install --no-cache-dir --break-system-packages -r /tmp/erpconnect_ai-requirements.txt \
    && rm /tmp/erpconnect_ai-requirements.txt
USER odoo
