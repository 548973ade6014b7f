"""Headless logic of an operator session: board, live recording, checks, protocol, review.

Nothing here imports textual: the TUI drives these objects and only reads their state.
"""
