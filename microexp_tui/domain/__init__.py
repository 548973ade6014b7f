"""The value types every layer shares: channels, calibration, events, expressions, sessions.

Imports only the standard library and numpy; the store persists these types, it does not own them.
"""
