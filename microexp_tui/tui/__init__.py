"""The operator TUI (Textual): the only package that imports textual."""
