"""The background agent: trigger supervisor and the local HTTP API. Runs headless too."""
