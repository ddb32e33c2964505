"""Pydantic DTOs crossing layers: inputs are validated here, outputs never are ORM objects."""
