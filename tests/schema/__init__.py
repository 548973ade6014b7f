"""Checks of every file a person writes: the safe reader, the error wording, each file schema."""
