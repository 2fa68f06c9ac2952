"""outbox worker and sms delivery: claim lease, failure and delivery bookkeeping on outbox events

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 14:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claimed_by', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('claimed_until', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('last_attempt_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('failed_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('delivery_ref', sa.String(length=200), nullable=False, server_default=''))
        batch_op.create_index('ix_outbox_events_failed', ['failed_at'], unique=False)


def downgrade():
    with op.batch_alter_table('outbox_events', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_events_failed')
        batch_op.drop_column('delivery_ref')
        batch_op.drop_column('failed_at')
        batch_op.drop_column('last_attempt_at')
        batch_op.drop_column('claimed_until')
        batch_op.drop_column('claimed_by')
