"""The server-rendered web UI, one blueprint per area, templates in ``templates/<blueprint>/``."""
