"""Micro-expressions: activations grouped into expressions, mapped to action units, validated.

Pure computation (no device, store or UI): `records` holds the shared value types,
`au_import` reads OpenFace / py-feat AU CSV files (with `au_layout`, `au_csv_cells`,
`au_faces` and `au_time_axis`) and `validation` scores EMG expressions against AU events.
"""
