"""Every write of the crisis engine, one module per concern (see each module's docstring).

Pattern (ENGINEERING §2/§3): validate → write → timeline event → notification and outbox rows in
the same transaction (the relay delivers them after commit and retries; nothing is lost if a
process dies). Timers live in the database and are moved by compare-and-set updates. Callers
import from the module that owns a function; this package re-exports nothing.
"""
