"""Clients: reading, the directory, changes, contacts, assignment, access to the bonus page, dates and bonus."""
