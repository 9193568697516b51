"""Helpers shared by the test suites (launchers for real services)."""
