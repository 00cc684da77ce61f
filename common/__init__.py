"""Shared by the portfolio's apps: normalised codes, fiscal years, database rules, admin base."""
