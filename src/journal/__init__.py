"""journal: a small REST API on replicated Redis, the book's "frontend" service."""
