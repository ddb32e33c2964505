"""RealEstate Pro domain package.

Layers, top to bottom (imports flow down only):
    entry points: app.py + pages/ (via crm.ui), pipelines/, crm.agent, crm.api
    crm.services   business rules, tenancy, transactions; return DTOs
    crm.providers  external services behind small interfaces (no DB access)
    crm.orm · crm.schemas · crm.errors
    crm.db -> crm.config
"""
