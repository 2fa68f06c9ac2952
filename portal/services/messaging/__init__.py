"""Messages to the outside: the outbox, its delivery and worker, SMS and one-time codes."""
