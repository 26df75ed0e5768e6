"""The rules of the Conversations API, apart from HTTP and from any database.

Nothing here imports connexion, Starlette, a database driver or SQLAlchemy. The HTTP edge
(`server_impl.api`) passes in the acting user and turns the errors of `errors` into problems;
storage (`server_impl.storage`) implements the ports of `ports`.
"""
