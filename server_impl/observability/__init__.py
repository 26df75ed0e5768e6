"""What the server tells its operators about each request: the id it is known by
(`request_id`), its lines in the log (`logs`) and the Prometheus figures (`metrics`).

The HTTP edge writes them (server_impl/api/middleware/); nothing here knows HTTP or a database.
"""
