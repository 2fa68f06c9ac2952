"""The manager's cabinet (a supervisor opens it over the whole team): clients, orders, tasks."""
from portal.web.manager import clients, order_list, orders, routes, tasks  # noqa: F401  (each adds its pages to the blueprint)
from portal.web.manager.blueprint import bp

__all__ = ["bp"]
