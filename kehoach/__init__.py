"""kehoach: Vietnamese government plan documents -> structured, queryable records."""

__version__ = "0.1.0"
