"""1C exchange: 1C ids of products and sections, exchange sessions, import progress, order queries

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 14:00:00
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.add_column(sa.Column('onec_id', sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column('onec_seen_at', sa.DateTime(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_products_onec_id'), ['onec_id'])
    with op.batch_alter_table('sections', schema=None) as batch_op:
        batch_op.add_column(sa.Column('onec_id', sa.String(length=80), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_sections_onec_id'), ['onec_id'])

    op.create_table(
        'onec_sessions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('last_seen_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_onec_sessions')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_onec_sessions_token_hash')),
    )
    op.create_table(
        'onec_imports',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('session_id', sa.Integer(), nullable=False),
        sa.Column('filename', sa.String(length=200), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('counts', sa.JSON(), nullable=False),
        sa.Column('message', sa.String(length=1000), nullable=False),
        sa.Column('started_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['session_id'], ['onec_sessions.id'], name=op.f('fk_onec_imports_session_id_onec_sessions'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_onec_imports')),
        sa.UniqueConstraint('session_id', 'filename', name='uq_onec_imports_session_filename'),
    )
    with op.batch_alter_table('onec_imports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_onec_imports_session_id'), ['session_id'], unique=False)
    op.create_table(
        'onec_order_queries',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('session_id', sa.Integer(), nullable=False),
        sa.Column('event_ids', sa.JSON(), nullable=False),
        sa.Column('documents', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('confirmed_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['session_id'], ['onec_sessions.id'],
                                name=op.f('fk_onec_order_queries_session_id_onec_sessions'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_onec_order_queries')),
    )
    with op.batch_alter_table('onec_order_queries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_onec_order_queries_session_id'), ['session_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_onec_order_queries_confirmed_at'), ['confirmed_at'], unique=False)


def downgrade():
    op.drop_table('onec_order_queries')
    op.drop_table('onec_imports')
    op.drop_table('onec_sessions')
    with op.batch_alter_table('sections', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_sections_onec_id'), type_='unique')
        batch_op.drop_column('onec_id')
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_products_onec_id'), type_='unique')
        batch_op.drop_column('onec_seen_at')
        batch_op.drop_column('onec_id')
