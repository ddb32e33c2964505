"""Use cases, one module per area: authorization, tenancy, validation, events, audit.

Every public function takes the acting user (`Actor`) first, opens one transaction, and
returns DTOs from `crm.schemas` — never ORM objects.
"""
