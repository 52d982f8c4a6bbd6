"""The directory: organizations, their domains, accounts and per-user preferences."""
