"""Agent test fixtures live in fakes.py and fake_llm.py; AppTest speed-ups in tests/conftest.py."""
