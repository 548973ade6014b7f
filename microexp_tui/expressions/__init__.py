"""Micro-expressions: activations grouped into expressions, mapped to action units, validated.

Pure computation (no device, store or UI): `records` holds the shared value types,
`au_import` reads OpenFace / py-feat AU CSV files and `validation` scores EMG expressions
against AU events.
"""
