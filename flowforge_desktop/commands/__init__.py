"""One module per `flowforge-desktop` subcommand: NAME, HELP, add_arguments(parser), run(args) -> int."""
