"""The HTTP edge: the app factory, one handler per operation, the middleware in front of
connexion, authentication, and the one place (`problems`) where errors become RFC 9457 problems.

connexion routes, authenticates and validates every request against openapi.yaml; how it is
adapted for this service is fenced in `connexion_adaptations`.
"""
