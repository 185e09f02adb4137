"""Infrastructure: settings, the database, the clock, request context. Knows no product rule."""
