"""daily sums for the statistics reports

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 14:00:00

Sales, goods and bonus movements summed by local day (goods also by month), kept by their writers
in the same transaction (portal/models/statistics.py). Filled from the existing rows here, so a
database upgraded from 0007 has them complete.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def _goods(name: str, grain: str):
    op.create_table(
        name,
        sa.Column(grain, sa.Date(), nullable=False),
        sa.Column('product_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('created_by_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('manager_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('sold', sa.BigInteger(), nullable=False),
        sa.Column('returned', sa.BigInteger(), nullable=False),
        sa.Column('sales', sa.BigInteger(), nullable=False),
        sa.Column('returns', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(grain, 'product_id', 'created_by_id', 'manager_id', name=f'pk_{name}'),
    )


def upgrade():
    op.create_table(
        'stat_sales_days',
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('client_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('created_by_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('manager_id', sa.Integer(), nullable=False),
        sa.Column('orders', sa.Integer(), nullable=False),
        sa.Column('sales', sa.BigInteger(), nullable=False),
        sa.Column('returned', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('day', 'client_id', 'created_by_id', name='pk_stat_sales_days'),
    )
    op.create_index('ix_stat_sales_days_client', 'stat_sales_days', ['client_id'])
    _goods('stat_goods_days', 'day')
    _goods('stat_goods_months', 'month')
    op.create_table(
        'stat_bonus_days',
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('manager_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('accrued', sa.BigInteger(), nullable=False),
        sa.Column('released', sa.BigInteger(), nullable=False),
        sa.Column('redeemed', sa.BigInteger(), nullable=False),
        sa.Column('expired', sa.BigInteger(), nullable=False),
        sa.Column('adjusted', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('day', 'manager_id', name='pk_stat_bonus_days'),
    )
    from portal.daily_sums import rebuild
    rebuild(op.get_bind())


def downgrade():
    op.drop_table('stat_bonus_days')
    op.drop_table('stat_goods_months')
    op.drop_table('stat_goods_days')
    op.drop_index('ix_stat_sales_days_client', table_name='stat_sales_days')
    op.drop_table('stat_sales_days')
