"""Source shared by the examples of the Alembic rules (CHR401–CHR404)."""

# What `alembic revision` writes at the top of a revision: docstring, imports, identifiers.
REVISION_HEAD = ('"""add tenant\n\nRevision ID: b2\nRevises: a1\nCreate Date: 2024-03-01 10:00:00\n"""\n'
                 'from alembic import op\nimport sqlalchemy as sa\n\nrevision = "b2"\ndown_revision = "a1"\n\n\n')
# The same without the docstring (a hand-written revision).
BARE_REVISION_HEAD = REVISION_HEAD.split('"""\n', 1)[1]
