"""The web-shop API (/api/v1): JSON in and out, bearer keys, errors as the contract fixes them.

`blueprint` makes the blueprint and its error handling, `routes` adds the endpoints to it."""
from portal.api import routes  # noqa: F401  (adds the endpoints to the blueprint)
from portal.api.blueprint import bp

__all__ = ["bp"]
