"""Staff: sign-in, accounts, teams, locations and API keys."""
