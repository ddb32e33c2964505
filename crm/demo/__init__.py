"""Demo data: the demo brokerages' accounts and a fast, deterministic generator.

    python -m crm.demo --leads 2000 --seed 42 [--if-empty] [--database-url URL]
"""
