"""Example projects for the drift rules' VALID/INVALID lists: a models module and an
Alembic history under `migrations/versions/`."""

from __future__ import annotations

MODELS_HEAD = (
    "from datetime import datetime\n"
    "import sqlalchemy as sa\n"
    "from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column\n\n"
    "class Base(DeclarativeBase):\n    pass\n\n"
)


def revision(rev: str, down: str | None, body: str, extra: str = "") -> str:
    down_text = "None" if down is None else (repr(down) if isinstance(down, str) else repr(tuple(down)))
    return (f'"""{rev}"""\nfrom alembic import op\nimport sqlalchemy as sa\n{extra}\n'
            f"revision = {rev!r}\ndown_revision = {down_text}\nbranch_labels = None\ndepends_on = None\n\n\n"
            f"def upgrade():\n{body}\n\ndef downgrade():\n    pass\n")


CREATE_EVENTS = revision("a1", None, "    op.create_table('events', sa.Column('id', sa.Integer(), primary_key=True),\n"
                                     "                    sa.Column('at', sa.DateTime(), nullable=True))\n")


def history(*revisions: str) -> dict:
    files = {"migrations/versions/a1_events.py": CREATE_EVENTS}
    for i, text in enumerate(revisions, start=2):
        files[f"migrations/versions/a{i}.py"] = text
    return files


def events_model(body: str) -> str:
    return MODELS_HEAD + "class Event(Base):\n    __tablename__ = 'events'\n    id: Mapped[int] = mapped_column(primary_key=True)\n" + body
