"""Server-rendered pages (Jinja2) and static assets; a thin layer over the domain services."""
