"""The cashier's cabinet: the blueprint is in routes.py; other modules add their pages to it."""
from portal.web.cashier import receipt_sms, routes  # noqa: F401  (each adds its pages to the blueprint)
