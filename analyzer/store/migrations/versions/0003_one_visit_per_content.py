"""one visit per content and owner: a unique (owner_id, content_sha256) index

Stores made before this may hold the same recording twice for one clinician (two batches at
once). Nothing is deleted: the analysed (else the first) visit of each group stays the visit of
that content, the others are kept and marked duplicate_of it, outside the unique index.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

_WHERE = sa.text('duplicate_of IS NULL')


def upgrade() -> None:
    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.add_column(sa.Column('duplicate_of', sa.Integer(), nullable=True))
    conn = op.get_bind()
    rows = conn.execute(sa.text('SELECT id, owner_id, content_sha256, analyzed_at FROM visits ORDER BY id')).fetchall()
    groups: dict = {}
    for r in rows:
        groups.setdefault((r.owner_id, r.content_sha256), []).append(r)
    for group in groups.values():
        if len(group) < 2:
            continue
        keep = next((r for r in group if r.analyzed_at is not None), group[0])
        for r in group:
            if r.id != keep.id:
                conn.execute(sa.text('UPDATE visits SET duplicate_of = :k WHERE id = :i'), {'k': keep.id, 'i': r.id})
    op.create_index('uq_visits_owner_content', 'visits', ['owner_id', 'content_sha256'], unique=True,
                    sqlite_where=_WHERE, postgresql_where=_WHERE)


def downgrade() -> None:
    op.drop_index('uq_visits_owner_content', table_name='visits', sqlite_where=_WHERE, postgresql_where=_WHERE)
    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.drop_column('duplicate_of')
