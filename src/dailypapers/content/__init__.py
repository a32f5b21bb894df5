"""Paper content: PDFs fetched politely, first pages as thumbnails, the text as Markdown, and
keywords and a one-line summary computed here."""
