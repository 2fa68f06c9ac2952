"""flask users create."""
from portal.extensions import db
from portal.models import Role, User

from ..factories import make_location, make_staff


def test_create_users_of_every_kind(app, runner):
    with app.app_context():
        make_location("shop", code="SHOP1")
    result = runner.invoke(args=["users", "create", "--email", "Boss@Example.com", "--name", "Boss", "--role",
                                 "supervisor", "--password", "long-enough-1"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["users", "create", "--email", "m@example.com", "--name", "Manager", "--role",
                                 "manager", "--supervisor", "boss@example.com", "--phone", "+7 916 000-00-01"])
    assert result.exit_code == 0, result.output
    generated = result.output.strip().splitlines()[-1]
    result = runner.invoke(args=["users", "create", "--email", "c@example.com", "--name", "Cashier", "--role",
                                 "cashier", "--shop", "shop1", "--password", "long-enough-2"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        manager = db.session.scalar(db.select(User).where(User.email == "m@example.com"))
        assert manager.role is Role.MANAGER and manager.supervisor.email == "boss@example.com"
        assert manager.phone == "+79160000001"
        cashier = db.session.scalar(db.select(User).where(User.email == "c@example.com"))
        assert cashier.shop.code == "SHOP1"
    assert app.test_client().post("/login", data={"email": "m@example.com", "password": generated}).status_code == 302


def test_errors_are_reported_and_nothing_is_created(app, runner):
    result = runner.invoke(args=["users", "create", "--email", "m@example.com", "--name", "M", "--role", "manager"])
    assert result.exit_code == 2
    assert "supervisor_id" in result.output
    result = runner.invoke(args=["users", "create", "--email", "x@example.com", "--name", "X", "--role", "manager",
                                 "--supervisor", "nobody@example.com"])
    assert result.exit_code != 0 and "no staff member" in result.output
    result = runner.invoke(args=["users", "create", "--email", "y@example.com", "--name", "Y", "--role", "admin",
                                 "--password", "short"])
    assert result.exit_code == 2
    with app.app_context():
        make_staff("admin", email="taken@example.com")
    result = runner.invoke(args=["users", "create", "--email", "taken@example.com", "--name", "T", "--role", "admin"])
    assert result.exit_code == 2 and "email" in result.output
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(User.id))) == 1
