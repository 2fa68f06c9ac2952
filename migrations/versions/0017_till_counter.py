"""The till on a shop counter: parked carts, quick keys, cash movements, fiscal documents, a shop's fiscal register

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-08 00:13:24.360549

"""
from alembic import op
import sqlalchemy as sa

from portal.models.types import UTCDateTime


# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('quick_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('location_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f('fk_quick_keys_location_id_locations')),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_quick_keys_product_id_products')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quick_keys')),
    sa.UniqueConstraint('location_id', 'product_id', name='uq_quick_keys_location_product')
    )
    with op.batch_alter_table('quick_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quick_keys_location_id'), ['location_id'], unique=False)

    op.create_table('cash_movements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shift_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('in', 'out', name='cash_movement_kind', native_enum=False, create_constraint=True, length=10), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.CheckConstraint('amount > 0', name=op.f('ck_cash_movements_amount_positive')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_cash_movements_created_by_id_users')),
    sa.ForeignKeyConstraint(['shift_id'], ['shifts.id'], name=op.f('fk_cash_movements_shift_id_shifts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cash_movements')),
    sa.UniqueConstraint('key', name=op.f('uq_cash_movements_key'))
    )
    with op.batch_alter_table('cash_movements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cash_movements_shift_id'), ['shift_id'], unique=False)

    op.create_table('parked_carts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('location_id', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=60), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=True),
    sa.Column('lines', sa.JSON(), nullable=False),
    sa.Column('parked_by_id', sa.Integer(), nullable=False),
    sa.Column('parked_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_parked_carts_client_id_clients')),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f('fk_parked_carts_location_id_locations')),
    sa.ForeignKeyConstraint(['parked_by_id'], ['users.id'], name=op.f('fk_parked_carts_parked_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_parked_carts'))
    )
    with op.batch_alter_table('parked_carts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_parked_carts_location_id'), ['location_id'], unique=False)

    op.create_table('fiscal_documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('kind', sa.Enum('sale', 'return', 'open_shift', 'close_shift', 'cash_in', 'cash_out', name='fiscal_kind', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('status', sa.Enum('pending', 'registered', 'failed', name='fiscal_status', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('location_id', sa.Integer(), nullable=False),
    sa.Column('shift_id', sa.Integer(), nullable=True),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('return_id', sa.Integer(), nullable=True),
    sa.Column('cash_movement_id', sa.Integer(), nullable=True),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('fn_number', sa.String(length=20), nullable=False),
    sa.Column('document_number', sa.BigInteger(), nullable=True),
    sa.Column('fiscal_sign', sa.String(length=20), nullable=False),
    sa.Column('receipt_number', sa.Integer(), nullable=True),
    sa.Column('register_shift_number', sa.Integer(), nullable=True),
    sa.Column('registered_at', UTCDateTime(), nullable=True),
    sa.Column('qr', sa.String(length=500), nullable=False),
    sa.Column('last_error', sa.String(length=1000), nullable=False),
    sa.ForeignKeyConstraint(['cash_movement_id'], ['cash_movements.id'], name=op.f('fk_fiscal_documents_cash_movement_id_cash_movements')),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f('fk_fiscal_documents_location_id_locations')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_fiscal_documents_order_id_orders')),
    sa.ForeignKeyConstraint(['return_id'], ['returns.id'], name=op.f('fk_fiscal_documents_return_id_returns')),
    sa.ForeignKeyConstraint(['shift_id'], ['shifts.id'], name=op.f('fk_fiscal_documents_shift_id_shifts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fiscal_documents')),
    sa.UniqueConstraint('key', name=op.f('uq_fiscal_documents_key')),
    sa.UniqueConstraint('uuid', name=op.f('uq_fiscal_documents_uuid'))
    )
    with op.batch_alter_table('fiscal_documents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fiscal_documents_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_fiscal_documents_return_id'), ['return_id'], unique=False)
        batch_op.create_index('ix_fiscal_documents_shift_status', ['shift_id', 'status'], unique=False)

    with op.batch_alter_table('locations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('fiscal_register_url', sa.String(length=300), nullable=False, server_default=''))



def downgrade():
    with op.batch_alter_table('locations', schema=None) as batch_op:
        batch_op.drop_column('fiscal_register_url')

    with op.batch_alter_table('fiscal_documents', schema=None) as batch_op:
        batch_op.drop_index('ix_fiscal_documents_shift_status')
        batch_op.drop_index(batch_op.f('ix_fiscal_documents_return_id'))
        batch_op.drop_index(batch_op.f('ix_fiscal_documents_order_id'))

    op.drop_table('fiscal_documents')
    with op.batch_alter_table('parked_carts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_parked_carts_location_id'))

    op.drop_table('parked_carts')
    with op.batch_alter_table('cash_movements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cash_movements_shift_id'))

    op.drop_table('cash_movements')
    with op.batch_alter_table('quick_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_quick_keys_location_id'))

    op.drop_table('quick_keys')
