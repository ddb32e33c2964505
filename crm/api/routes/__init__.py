"""HTTP routes, one module per area, each a thin adapter over crm.services."""
