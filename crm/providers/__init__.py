"""Outside services behind small interfaces: an official-SDK adapter and a local one each.

Providers translate between our vocabulary and the vendor's; they never touch the database.
`registry.py` picks the implementation from settings (the composition root).
"""
