"""OpenCart import: links of shop customers to clients, import state per source shop

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 14:00:00
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'opencart_customers',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('source', sa.String(length=100), nullable=False),
        sa.Column('customer_id', sa.BigInteger(), nullable=False),
        sa.Column('client_id', sa.Integer(), nullable=False),
        sa.Column('matched_by', sa.String(length=10), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_opencart_customers_client_id_clients')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_opencart_customers')),
        sa.UniqueConstraint('source', 'customer_id', name='uq_opencart_customers_source_customer'),
    )
    with op.batch_alter_table('opencart_customers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_opencart_customers_client_id'), ['client_id'], unique=False)
    op.create_table(
        'opencart_imports',
        sa.Column('source', sa.String(length=100), nullable=False),
        sa.Column('point_value', sa.String(length=40), nullable=False),
        sa.Column('last_customer_id', sa.BigInteger(), nullable=False),
        sa.Column('last_reward_id', sa.BigInteger(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('source', name=op.f('pk_opencart_imports')),
    )


def downgrade():
    op.drop_table('opencart_imports')
    with op.batch_alter_table('opencart_customers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_opencart_customers_client_id'))
    op.drop_table('opencart_customers')
