"""table-to-bus: every change of a single-table design published to an EventBridge bus (article 002)."""
