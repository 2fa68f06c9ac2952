"""The approval queue's compact rows (issue 17, point 6): what changes from → to on the row, oldest or
newest first, narrowed to one kind, and a decision in place that leaves the other rows where they are."""
from __future__ import annotations

import re

from portal.extensions import db
from portal.models import ChangeRequest, ChangeStatus

from .test_supervisor_approvals import HTMX, element, keys_on, page_text, team, text  # noqa: F401 (fixture)


def test_each_row_says_what_changes_from_and_to_who_asked_and_when(client, team):
    html = client.get("/supervisor/approvals").get_data(as_text=True)
    row = element(html, f"approval-change-{team['change']}")
    summary = text(re.search(r'data-testid="approval-summary">(.*?)</span>\s*<span class="approval-meta',
                             row, flags=re.S).group(1))
    assert summary == "Discount 5 % → 7.5 %"
    assert 'data-testid="approval-author">Anna Manager<' in row
    assert 'data-testid="approve"' in row and 'data-testid="reject"' in row
    assert '<details class="approval-details" data-testid="approval-details">' in row  # folded
    new_row = text(element(html, f"approval-change-{team['new_request']}"))
    assert "Discount 0 % → 3 %" in new_row
    order_row = text(element(html, f"approval-order-{team['order']}"))
    assert f"order {team['number']} DRILL 5 % → 7 %" in order_row


def test_oldest_first_by_default_and_newest_first_on_request(client, team):
    oldest = [f"change-{team['change']}", f"order-{team['order']}", f"change-{team['new_request']}"]
    assert keys_on(client.get("/supervisor/approvals").get_data(as_text=True)) == oldest
    newest = client.get("/supervisor/approvals?order=newest").get_data(as_text=True)
    assert keys_on(newest) == list(reversed(oldest))
    assert '<option value="newest" selected>' in newest


def test_the_queue_is_narrowed_to_one_kind(client, team):
    def keys(kind: str) -> list[str]:
        return keys_on(client.get(f"/supervisor/approvals?kind={kind}").get_data(as_text=True))

    assert keys("discount") == [f"change-{team['change']}"]
    assert keys("new_client") == [f"change-{team['new_request']}"]
    assert keys("order_discount") == [f"order-{team['order']}"]
    assert keys("credit_limit") == [] and keys("deferral") == [] and keys("requisites") == []
    assert len(keys("anything")) == 3  # an unknown kind is no filter
    empty = client.get("/supervisor/approvals?kind=deferral")
    assert "Nothing of this kind waits for your decision." in page_text(empty)


def test_the_order_and_the_filter_survive_select_all_and_approve_selected(client, team):
    html = client.get("/supervisor/approvals?order=newest&kind=discount").get_data(as_text=True)
    assert "/supervisor/approvals?select=all&amp;order=newest&amp;kind=discount" in html
    assert '<input type="hidden" name="kind" value="discount">' in html
    answer = client.post("/supervisor/approvals/approve-selected",
                         data={"items": [f"change-{team['change']}"], "kind": "discount", "order": "newest"},
                         headers=HTMX)
    assert "1 item approved." in page_text(answer)
    assert keys_on(answer.get_data(as_text=True)) == []  # the filtered queue, now empty


def test_approving_in_place_answers_only_the_row(app, client, team):
    answer = client.post(f"/supervisor/approvals/change/{team['change']}/approve", data={"comment": ""},
                         headers=HTMX)
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert f'id="approval-change-{team["change"]}"' in html and 'data-testid="approval-decided"' in html
    assert 'data-testid="approval" ' not in html  # no other row comes back: the list keeps its place
    with app.app_context():
        assert db.session.get(ChangeRequest, team["change"]).status is ChangeStatus.APPROVED


def test_a_rejection_without_a_comment_opens_the_rows_details_at_the_comment(app, client, team):
    answer = client.post(f"/supervisor/approvals/change/{team['change']}/reject", data={"comment": ""},
                         headers=HTMX)
    row = element(answer.get_data(as_text=True), f"approval-change-{team['change']}")
    assert '<details class="approval-details" data-testid="approval-details" open>' in row
    assert "autofocus" in row and "Say why the change is rejected" in text(row)
    with app.app_context():
        assert db.session.get(ChangeRequest, team["change"]).status is ChangeStatus.PENDING
    answer = client.post(f"/supervisor/approvals/change/{team['change']}/reject", data={"comment": "Too much"},
                         headers=HTMX)
    assert "Rejected" in page_text(answer)
    with app.app_context():
        assert db.session.get(ChangeRequest, team["change"]).status is ChangeStatus.REJECTED
