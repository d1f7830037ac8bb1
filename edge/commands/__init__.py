"""One module per `dancepose` sub-command (add_parser() and run()); inputs and options hold
what several of them share."""
