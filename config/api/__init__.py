"""API plumbing every app's API uses: the one error shape, pagination, strict inputs, the role checks,
parsers, throttles, the client's address and the schema generator.

Ground of the project: nothing here imports an app (roles are read from the user: `is_partner`,
`is_manager`); the apps import it, and `config.urls` puts the apps together (the roof).
"""
