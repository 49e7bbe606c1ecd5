"""One module per `repere` sub-command: each turns parsed arguments into an exit code."""
