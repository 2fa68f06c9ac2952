import pytest

from ...factories import make_client, make_location, make_product


@pytest.fixture
def shop(ctx):
    """A main warehouse with a small catalogue in stock, and a client with a 5 % discount."""
    warehouse = make_location("warehouse", code="MAIN", is_main=True)
    products = {
        "DRILL": make_product("DRILL", 1_000_00, stock={warehouse: 100}, warranty_months=24),
        "PIPE": make_product("PIPE", 333_33, stock={warehouse: 100}, returnable=False),
        "VALVE": make_product("VALVE", 99_99, stock={warehouse: 100}, discountable=False),
        "PENNY": make_product("PENNY", 1, stock={warehouse: 100}),
    }
    client = make_client(name="Buyer", discount_bp=500)
    return {"warehouse": warehouse, "products": products, "client": client}
