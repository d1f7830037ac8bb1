"""One module per `dancepose` sub-command: add_parser() and run()."""
