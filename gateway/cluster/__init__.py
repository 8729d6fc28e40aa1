"""Several `gateway run` nodes serving the same subscribers (docs/scaling.md).

PostgreSQL is the shared store; Redis carries what the nodes tell each other (events for
web-phone watchers, "MO / receipts wait for a bind you hold") and the USSD dialogues that
must survive a move from one node to another. Nothing here runs without `--redis`.
"""
