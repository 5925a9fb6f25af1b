"""The schema a migration history builds, replayed from the revision files as text.

`extract` reads one file: an Alembic revision's operations (its `upgrade()`, through
the same op reader the migration rules use), or the DDL application code runs at
startup. `replay` orders the revisions (down_revision chains, merges, depends_on) and
applies them to an empty schema. `drift` compares that schema with the models.

Whatever cannot be read makes its table unknown, and unknown means silence."""
