"""The cashier's cabinet: `routes` makes the blueprint; the modules imported here add their pages to it."""
from portal.web.cashier import cash, fiscal, receipt_sms, routes  # noqa: F401  (each adds its pages to the blueprint)
