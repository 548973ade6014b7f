"""Declarative checks of the files a person writes: one safe reader, one wording, shared types."""
