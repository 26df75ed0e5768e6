"""How operators run the service: the command line, serving with uvicorn and its connection
limits, worker processes."""
