"""Notification decisions and the context every channel shares.

route.py     which subscribers hear about an article, alert now or digest later (pure)
stories.py   near-duplicate grouping: one alert per story (pure)
health.py    feed-health notices for ops subscribers (pure)
render.py    the notes every channel renders: sanitised, bounded text (pure)
digest.py    which digests are due, and building one
messages.py  note → the subscriber's channel → the bytes the outbox keeps
notifier.py  ties them together inside the verdicts' transaction
"""
