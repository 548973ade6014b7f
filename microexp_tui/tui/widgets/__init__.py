"""Widgets of the operator TUI: live traces, probability bars, instruction panel, counters."""
