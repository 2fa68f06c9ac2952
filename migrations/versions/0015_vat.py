"""VAT: a product's rate, an order line's rate and VAT, a return line's VAT

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 19:40:00
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.add_column(sa.Column('vat_rate', sa.String(length=8), nullable=True))
    with op.batch_alter_table('order_lines', schema=None) as batch_op:
        batch_op.add_column(sa.Column('vat_rate', sa.String(length=8), server_default='none', nullable=False))
        batch_op.add_column(sa.Column('vat', sa.BigInteger(), server_default='0', nullable=False))
    with op.batch_alter_table('return_lines', schema=None) as batch_op:
        batch_op.add_column(sa.Column('vat', sa.BigInteger(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('return_lines', schema=None) as batch_op:
        batch_op.drop_column('vat')
    with op.batch_alter_table('order_lines', schema=None) as batch_op:
        batch_op.drop_column('vat')
        batch_op.drop_column('vat_rate')
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_column('vat_rate')
