"""Analyses of stored sessions that join the store with the signal stages (no device, no UI).

`microexpressions` re-detects a session's expressions from its stored samples, calibration
and montage with the same detector a live recording runs, and stores them as `offline`.
"""
