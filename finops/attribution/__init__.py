"""Attribution by API key: the teams' keys and owners, per-key costs, Anthropic's allocation (docs/attribution.md)."""
