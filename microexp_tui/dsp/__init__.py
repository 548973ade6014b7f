"""Causal streaming filters and artifact flags; imports neither device/ nor store/."""
