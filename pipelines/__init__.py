"""Prefect flows: thin sequences of service calls; the logic stays in crm.services."""
