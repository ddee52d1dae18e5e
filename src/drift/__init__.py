"""The payload drift report: which shapes of events the platforms send, and what changed (docs/operations.md)."""
