"""Actions moved from the cases app to enforcement without touching their rows.

The move changes only Django's migration state (``SeparateDatabaseAndState``):
a database holding actions and targets before it reads them unchanged after it,
through ``enforcement.models``, and permissions on actions keep their rows.
"""

from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from enforcement.models import Action, ActionTarget

# The last state in which the cases app held the action models.
BEFORE_THE_MOVE = [("cases", "0010_room_for_hot_updates"), ("enforcement", None)]
EXPIRES = datetime(2031, 5, 4, 3, 2, 1, tzinfo=UTC)


def migrate(targets):
    """The project state after migrating to ``targets``.

    A fresh executor each time: it reads which migrations are applied now."""
    return MigrationExecutor(connection).migrate(targets)


def leaf_nodes() -> list[tuple[str, str]]:
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def write_actions_as_the_cases_app(apps, proposer_id: int, lead_id: int) -> tuple[int, int]:
    Case = apps.get_model("cases", "Case")
    Account = apps.get_model("cases", "Account")
    OldAction = apps.get_model("cases", "Action")
    OldTarget = apps.get_model("cases", "ActionTarget")
    case = Case.objects.create(title="Proxy network", status="pending_action")
    account = Account.objects.create(external_id="acct_moved", is_protected=True)
    action = OldAction.objects.create(
        case=case,
        kind="rate_limit",
        state="executed",
        params={"requests_per_minute": 10},
        rationale="one payment instrument",
        notice="Your account is rate-limited.",
        expires_at=EXPIRES,
        approvals_required=2,
        proposed_by_id=proposer_id,
        approved_by_id=lead_id,
        approval_comment="seen",
    )
    OldTarget.objects.create(
        action=action,
        target_type="account",
        value="acct_moved",
        account=account,
        state="executed",
        reference="ref-1",
        attempts=2,
        apply_body=b'{"operation": "apply"}',
        is_protected=True,
        override_by_id=lead_id,
        override_reason="lead's call",
    )
    OldTarget.objects.create(
        action=action, target_type="cidr", value="198.51.100.0/24", state="failed", error="HTTP 422"
    )
    return case.pk, action.pk


def rows(table: str) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table} ORDER BY id")
        return cursor.fetchall()


@pytest.mark.django_db(transaction=True)
def test_actions_and_targets_written_before_the_move_read_the_same_after_it(make_user):
    proposer, lead = make_user("investigator"), make_user("lead")
    view_action = Permission.objects.get(
        content_type__app_label="enforcement", codename="view_action"
    )
    leaves = leaf_nodes()
    try:
        old_apps = migrate(BEFORE_THE_MOVE).apps
        case_id, action_id = write_actions_as_the_cases_app(old_apps, proposer.pk, lead.pk)
        before = rows("cases_action"), rows("cases_actiontarget")
        assert Permission.objects.get(pk=view_action.pk).content_type.app_label == "cases"
        migrate(leaves)
    finally:
        migrate(leaves)

    assert (rows("cases_action"), rows("cases_actiontarget")) == before
    action = Action.objects.get(pk=action_id)
    assert (action.case_id, action.kind, action.state) == (case_id, "rate_limit", "executed")
    assert (action.params, action.expires_at, action.approvals_required) == (
        {"requests_per_minute": 10},
        EXPIRES,
        2,
    )
    assert (action.proposed_by, action.approved_by, action.approval_comment) == (
        proposer,
        lead,
        "seen",
    )
    assert list(action.case.actions.all()) == [action]
    account_target, cidr_target = action.targets.order_by("pk")
    assert (account_target.account.external_id, account_target.override_by) == ("acct_moved", lead)
    assert bytes(account_target.apply_body) == b'{"operation": "apply"}'
    assert (account_target.state, account_target.attempts, account_target.reference) == (
        "executed",
        2,
        "ref-1",
    )
    assert (cidr_target.value, cidr_target.state, cidr_target.error) == (
        "198.51.100.0/24",
        "failed",
        "HTTP 422",
    )
    assert ActionTarget.objects.filter(action=action).count() == 2
    # The same permission row, now under enforcement: grants made on it still hold.
    assert Permission.objects.get(pk=view_action.pk).content_type.app_label == "enforcement"
