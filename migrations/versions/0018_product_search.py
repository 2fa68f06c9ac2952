"""Product search by words in any order: a folded search text kept by the database, with a trigram
index on PostgreSQL

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-08 00:40:00

Search (services/sales/catalog.py find_products) looks for each typed word anywhere in a product's
name, SKU and Артикул, in lower case with ё as е: `products.search_text`, a generated column the
database computes on every write. PostgreSQL serves `LIKE '%word%'` from a GIN trigram index on it;
SQLite reads the column without calling a function per row.
"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

SEARCH_TEXT = "replace(lower(name || ' ' || sku || ' ' || coalesce(article, '')), 'ё', 'е')"


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE products ADD COLUMN search_text text GENERATED ALWAYS AS ({SEARCH_TEXT}) STORED")
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute("CREATE INDEX ix_products_search_trgm ON products USING gin (search_text gin_trgm_ops)")
        return
    # SQLite adds a stored generated column only by building the table again. The copy leaves out
    # what SQLite's reflection cannot read, the index on lower(sku): it is made again after.
    op.drop_index('ix_products_sku_lower', table_name='products')
    with op.batch_alter_table('products', recreate='always') as batch_op:
        batch_op.add_column(sa.Column('search_text', sa.Text(), sa.Computed(SEARCH_TEXT, persisted=True),
                                      nullable=True))
    op.create_index('ix_products_sku_lower', 'products', [sa.text('lower(sku)')], unique=False)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_products_search_trgm")
        op.execute("ALTER TABLE products DROP COLUMN search_text")
        return
    op.drop_index('ix_products_sku_lower', table_name='products')
    with op.batch_alter_table('products', recreate='always') as batch_op:
        batch_op.drop_column('search_text')
    op.create_index('ix_products_sku_lower', 'products', [sa.text('lower(sku)')], unique=False)
