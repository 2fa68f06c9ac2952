"""A manager's orders: drafts, approval, confirmation, payments, the order list, invoices, debt and the approval queue."""
