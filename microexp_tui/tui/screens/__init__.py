"""Screens of the operator TUI, one module each, in the order of a session."""
