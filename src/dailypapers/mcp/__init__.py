"""The MCP server at /mcp: the feed, search and papers as tools for AI assistants (docs/mcp.md)."""
