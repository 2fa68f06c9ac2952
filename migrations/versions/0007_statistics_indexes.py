"""indexes for the statistics reports

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 10:00:00

The reports of SPEC §7 select by these moments: orders by when they were paid and confirmed
(`created_at` has its index since 0002), returns by when they were made, ledger entries by
when they moved (`clients.created_at` has its index since 0001).
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.create_index('ix_orders_paid_at', ['paid_at'], unique=False)
        batch_op.create_index('ix_orders_confirmed_at', ['confirmed_at'], unique=False)
    with op.batch_alter_table('returns', schema=None) as batch_op:
        batch_op.create_index('ix_returns_created_at', ['created_at'], unique=False)
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.create_index('ix_ledger_entries_created_at', ['created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_ledger_entries_created_at')
    with op.batch_alter_table('returns', schema=None) as batch_op:
        batch_op.drop_index('ix_returns_created_at')
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_index('ix_orders_confirmed_at')
        batch_op.drop_index('ix_orders_paid_at')
