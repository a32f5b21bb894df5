"""Collections of papers, and the "For you" ranking learned from a reader's library."""
