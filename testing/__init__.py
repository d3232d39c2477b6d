"""Fakes of remote systems (Jira, Zendesk, any HTTP receiver) for the tests and the benchmarks.

Product code never imports this package (the import-linter contract says so); it ships beside
the apps only so that tests in every app and the benchmarks share one set of fakes.
"""
