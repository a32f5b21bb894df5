"""People: authors as pages of their own (and, later, claims, follows and notifications)."""
