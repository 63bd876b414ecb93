"""People: contacts, identities and merges, accounts, scoring, stages, plays, exports, erasure.

The read API for other parts of the product (web, delivery) is `signals.people.api`.
"""
