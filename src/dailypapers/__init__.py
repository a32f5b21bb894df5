"""dailypapers: a self-hostable research-paper feed."""

__version__ = "0.1.0"
