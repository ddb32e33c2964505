"""The FastAPI entry point: REST routes that parse, call one service, and answer with DTOs."""
