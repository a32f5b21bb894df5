"""The site's URL patterns, one module per namespace. They name ids `<id:...>` (converters.py)."""

from dailypapers.web.converters import register

register()
