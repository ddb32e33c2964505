"""scikit-learn lead scoring: features, training, prediction and trained artifacts.

Imports nothing from `crm` (enforced by import-linter). The scoring model lands with the
lead-scoring work; until then scores come from the demo data and manual edits.
"""
