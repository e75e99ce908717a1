"""Reads of crises and tasks that depend on who is asking (pages, API and admin use these), one
module per concern. Callers import from the module that owns a function; nothing is re-exported.
"""
