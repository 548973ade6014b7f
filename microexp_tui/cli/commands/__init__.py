"""One module per `microexp` command group: `add_parser(subcommands)` and `run(args) -> int`.

A module's top level imports only argparse-level helpers; everything heavy is imported
inside `run`, so building the parser (and `--help`) stays quick.
"""
