"""What the author index tells the apps above it, without knowing them (they connect here)."""

from __future__ import annotations

from django.dispatch import Signal

# Sent inside the transaction that linked papers to authors it had not listed before, with
# `pairs`: a set of (paper id, author id). Not sent by a rebuild (its links are not news).
# The notifications app tells those authors' followers (notifications/signals.py).
authors_linked = Signal()
