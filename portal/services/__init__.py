"""Business rules, one module per area. Services take plain values, return results and raise
domain errors; they know nothing of requests, cookies or templates. Each public operation is
one transaction: it commits on success and rolls back on any error."""
