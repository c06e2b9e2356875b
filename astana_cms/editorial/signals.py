"""Signals of the editorial layer, for the apps built on it."""

from django.dispatch import Signal

# Sent in the transaction that moves an entry into or out of the published state, with the
# entry as `entry`. Apps that keep derived public data (the search index) follow it.
publicity_changed = Signal()
