"""The catalogue file (CSV): `flask catalog import` and the admin's upload."""
