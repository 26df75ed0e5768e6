"""How operators run the service: the command line, its settings, worker processes."""
