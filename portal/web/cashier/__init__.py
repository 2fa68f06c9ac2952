"""The cashier's cabinet: `routes` makes the blueprint; the modules imported here add their pages to it."""
from portal.web.cashier import cash, fiscal  # noqa: F401  (cash in/out; the fiscal helpers of the cashier's pages)
