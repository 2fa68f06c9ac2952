"""The supervisor's cabinet: team, approvals, bonus programme, statistics, automation rules."""
from portal.web.supervisor import approvals, automation, bonus, routes, statistics  # noqa: F401  (each adds its pages to the blueprint)
from portal.web.supervisor.blueprint import bp

__all__ = ["bp"]
