"""Letta Conversations API server, served by connexion straight from openapi.yaml."""

import warnings

# connexion imports Starlette's test client at start-up, which warns about httpx on every
# start; the server never uses it.
warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
