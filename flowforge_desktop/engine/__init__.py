"""The asyncio engine: scheduling, data passing, templates, retries, limits, the debugger gate, events."""
