"""The administrator's cabinet: staff, locations, the audit log, the outbox, the 1C exchange."""
from portal.web.admin import onec, outbox, quick_keys, routes  # noqa: F401  (each adds its pages to the blueprint)
from portal.web.admin.blueprint import bp

__all__ = ["bp"]
