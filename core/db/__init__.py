"""The store: SQLAlchemy 2.0 models, repositories and Alembic migrations; the only place SQL lives."""
