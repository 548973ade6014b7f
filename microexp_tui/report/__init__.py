"""Clinical-style PDF session reports (reportlab): cover, data quality, results, trust.

`microexp_tui.report.generate.generate_report(store, session_id, out_path, template, paper,
progress)` writes one; `microexp report` (through `session_report`) and the Review screen use it.
Only `gather` reads the store; nothing here imports textual or the device layers. This
package file imports nothing, so the command line stays quick to start.
"""
