"""Demo data for `flask demo`: the company's data apart from the code that builds it through the services."""
