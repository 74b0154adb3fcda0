"""Admin of the accounts app."""
