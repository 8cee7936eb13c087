"""Token usage collected with the costs, and the unit economics built on the pair (docs/usage.md)."""
