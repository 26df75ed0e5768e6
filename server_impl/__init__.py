"""Letta Conversations API server, served by connexion straight from openapi.yaml."""
