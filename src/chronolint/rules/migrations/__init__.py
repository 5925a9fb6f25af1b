"""Migration rules (CHR401–CHR407): Alembic revisions that cannot be rolled back or add
naive timestamp columns, irreversible Django migrations, and DDL run outside migrations."""
