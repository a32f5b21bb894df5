from django.apps import AppConfig


class McpConfig(AppConfig):
    name = "dailypapers.mcp"
    label = "mcp"
    verbose_name = "MCP server"
