"""The AI assistant: LangChain tools over the services, its prompt, and the agent factory."""
