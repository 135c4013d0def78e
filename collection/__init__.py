"""Collections: strategies (segments and treatment paths), the month-end assignment of delinquent accounts to
actions and agents' queues, promises to pay, champion/challenger comparison and message templates.

The package is named `collection`, not `collections`: a top-level `collections` package would shadow Python's
standard library module of that name for every import in the project.
"""
from __future__ import annotations

# Channels of a treatment path: the names of collection_actions.channel in the analytical store, plus email.
CHANNELS = ("sms", "app_push", "email", "robo_call", "agent_call", "letter", "field_visit", "agency", "legal")
AGENT_CHANNELS = ("agent_call", "field_visit")      # need a collector from a queue with capacity
EXTERNAL_CHANNELS = ("agency", "legal")             # handed to an outside agency or to lawyers
MESSAGE_CHANNELS = ("sms", "app_push", "email", "letter")   # written from templates to the outbox
DELINQUENT_BUCKETS = ("1-30", "31-60", "61-90", "91-120", "121-150", "151-180", "180+")
