"""1C as it sends its catalogue: a product's Артикул, variants under a parent, the unit, and
1C's warehouses mapped to locations

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 21:20:00
"""
from alembic import op
import sqlalchemy as sa

from portal.models.types import UTCDateTime


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.add_column(sa.Column('article', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('parent_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('variant', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('unit', sa.String(length=20), nullable=True))
        batch_op.create_index(batch_op.f('ix_products_article'), ['article'], unique=False)
        batch_op.create_index(batch_op.f('ix_products_parent_id'), ['parent_id'], unique=False)
        batch_op.create_foreign_key('fk_products_parent_id_products', 'products', ['parent_id'], ['id'])
    # SKUs are looked up case-insensitively (the till, the catalogue file, 1C's Артикул).
    op.create_index('ix_products_sku_lower', 'products', [sa.text('lower(sku)')], unique=False)
    op.create_table(
        'onec_warehouses',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('onec_id', sa.String(length=80), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('location_id', sa.Integer(), nullable=True),
        sa.Column('unmapped_quantity', sa.String(length=32), nullable=False),
        sa.Column('seen_at', UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name='fk_onec_warehouses_location_id_locations'),
        sa.PrimaryKeyConstraint('id', name='pk_onec_warehouses'),
        sa.UniqueConstraint('onec_id', name='uq_onec_warehouses_onec_id'),
    )


def downgrade():
    op.drop_table('onec_warehouses')
    op.drop_index('ix_products_sku_lower', table_name='products')
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_constraint('fk_products_parent_id_products', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_products_parent_id'))
        batch_op.drop_index(batch_op.f('ix_products_article'))
        batch_op.drop_column('unit')
        batch_op.drop_column('variant')
        batch_op.drop_column('parent_id')
        batch_op.drop_column('article')
