"""Persistence: SQLAlchemy 2 models, the session factory, repositories and Alembic migrations."""
