"""The evidence store: SQLAlchemy models, migrations, the hash chain and the audit log."""
