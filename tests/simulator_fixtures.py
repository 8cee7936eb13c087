"""Fixtures that start the Costs API simulator over HTTP for the tests."""
