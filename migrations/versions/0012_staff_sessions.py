"""Server-side sessions of staff and of clients' bonus pages (issue 8)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 20:00:00
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def _create(table: str, owner: str, owner_table: str):
    op.create_table(
        table,
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('last_seen_at', sa.DateTime(), nullable=False),
        sa.Column('ended_at', sa.DateTime(), nullable=True),
        sa.Column('user_agent', sa.String(length=200), nullable=False),
        sa.Column('ip', sa.String(length=45), nullable=False),
        sa.Column(owner, sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint([owner], [f'{owner_table}.id'], name=op.f(f'fk_{table}_{owner}_{owner_table}')),
        sa.PrimaryKeyConstraint('id', name=op.f(f'pk_{table}')),
        sa.UniqueConstraint('token_hash', name=op.f(f'uq_{table}_token_hash')),
    )
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.create_index(batch_op.f(f'ix_{table}_{owner}'), [owner], unique=False)


def upgrade():
    _create('staff_sessions', 'user_id', 'users')
    _create('client_sessions', 'client_id', 'clients')


def downgrade():
    for table, owner in (('client_sessions', 'client_id'), ('staff_sessions', 'user_id')):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f'ix_{table}_{owner}'))
        op.drop_table(table)
