"""Correlation: which case each imported alert joins, and why (import called directly)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection

from cases.models import Account, Case, CaseAccount, Evidence, Indicator
from ingestion.detectors import create_detector
from ingestion.models import Alert, Batch
from ingestion.simulator import PROXY_ASN, returning_operator_alert, scenario
from tests.ingestion.correlation_helpers import alert, post_and_import

pytestmark = pytest.mark.django_db


@pytest.fixture
def token():
    return create_detector("simulator", rate=0).token


def cases_of(external_ids) -> set[int]:
    return set(Alert.objects.filter(external_id__in=external_ids).values_list("case_id", flat=True))


def test_the_scenario_gives_one_case_per_operator(client, token):
    world = scenario(seed=3)
    post_and_import(client, token, world.alerts, size=7)

    for op in world.operators:
        ids = [a["external_id"] for a in op.alerts]
        assert len(cases_of(ids)) == 1, op.name
    per_operator = [cases_of([a["external_id"] for a in op.alerts]).pop() for op in world.operators]
    assert len(set(per_operator)) == len(world.operators)
    assert Alert.objects.filter(status="imported").count() == len(world.alerts)


def test_the_benign_heavy_user_stays_apart(client, token):
    world = scenario(seed=3)
    post_and_import(client, token, world.alerts)

    benign_cases = cases_of([a["external_id"] for a in world.benign])
    operator_cases = cases_of([a["external_id"] for op in world.operators for a in op.alerts])
    assert benign_cases.isdisjoint(operator_cases)
    assert not CaseAccount.objects.filter(
        account__external_id=world.benign_account, case__in=operator_cases
    ).exists()


def test_a_shared_asn_alone_joins_nothing(client, token):
    post_and_import(
        client,
        token,
        [
            alert("asn-1", indicators=[{"type": "asn", "value": PROXY_ASN}]),
            alert("asn-2", indicators=[{"type": "asn", "value": PROXY_ASN}]),
        ],
    )
    assert len(cases_of(["asn-1", "asn-2"])) == 2


def test_a_shared_payment_fingerprint_joins_with_the_reason(client, token):
    post_and_import(
        client,
        token,
        [
            alert(
                "pf-1", accounts=[{"external_id": "acct_8f2c", "payment_fingerprint": "pf_77ab"}]
            ),
            alert(
                "pf-2", accounts=[{"external_id": "acct_9d1e", "payment_fingerprint": "pf_77ab"}]
            ),
        ],
    )
    (case_id,) = cases_of(["pf-1", "pf-2"])
    link = CaseAccount.objects.get(case_id=case_id, account__external_id="acct_9d1e")
    assert "shares payment fingerprint pf_77ab with acct_8f2c" in link.reason
    case = Case.objects.get(pk=case_id)
    assert case.alert_count == 2
    assert case.account_count == 2


def test_a_weak_value_over_the_cap_is_too_common_and_joins_nothing(client, token, settings):
    settings.INDICATOR_COMMON_CAP = 3
    shared = {"type": "asn", "value": "AS64500"}
    alerts = [
        alert(f"common-{n}", accounts=[{"external_id": f"acct_c{n}"}], indicators=[shared])
        for n in range(4)
    ]
    post_and_import(client, token, alerts, size=1)
    late = alert("common-late", accounts=[{"external_id": "acct_late"}], indicators=[shared])
    post_and_import(client, token, [late])

    assert Indicator.objects.get(value="AS64500").is_too_common
    assert len(cases_of([a["external_id"] for a in alerts] + ["common-late"])) == 5


def test_a_strong_value_over_the_cap_keeps_joining_and_counting(client, token, settings):
    settings.INDICATOR_COMMON_CAP = 3
    shared = {"type": "device_fingerprint", "value": "dfp-everyone"}
    alerts = [
        alert(f"wide-{n}", accounts=[{"external_id": f"acct_w{n}"}], indicators=[shared])
        for n in range(6)
    ]
    post_and_import(client, token, alerts[:2])
    post_and_import(client, token, alerts[2:], size=1)
    late = alert("wide-late", accounts=[{"external_id": "acct_wlate"}], indicators=[shared])
    post_and_import(client, token, [late])

    value = Indicator.objects.get(value="dfp-everyone")
    assert (value.is_too_common, value.account_count) == (False, 7)
    (case_id,) = cases_of([a["external_id"] for a in alerts] + ["wide-late"])
    link = CaseAccount.objects.get(case_id=case_id, account__external_id="acct_wlate")
    assert "shares device fingerprint dfp-everyone" in link.reason


def test_a_value_counts_its_accounts_once_each_until_it_is_too_common(client, token, settings):
    settings.INDICATOR_COMMON_CAP = 4
    ip = {"type": "ip", "value": "198.51.100.7"}

    def sighting(name: str, *accounts: str) -> dict:
        return alert(name, accounts=[{"external_id": a} for a in accounts], indicators=[ip])

    # New in the batch: inserted already counting its two accounts, named twice.
    post_and_import(
        client, token, [sighting("ip-1", "acct_i1", "acct_i2"), sighting("ip-2", "acct_i1")]
    )
    assert Indicator.objects.get(value="198.51.100.7").account_count == 2
    # Known: only accounts not linked before count.
    post_and_import(client, token, [sighting("ip-3", "acct_i2", "acct_i3")])
    value = Indicator.objects.get(value="198.51.100.7")
    assert (value.account_count, value.is_too_common) == (3, False)
    # Over the cap it is marked too common, and from then on no longer counted.
    post_and_import(client, token, [sighting("ip-4", "acct_i4", "acct_i5")])
    value = Indicator.objects.get(value="198.51.100.7")
    assert (value.account_count, value.is_too_common) == (5, True)
    post_and_import(client, token, [sighting("ip-5", "acct_i6")])
    assert Indicator.objects.get(value="198.51.100.7").account_count == 5
    assert value.accounts.count() == 6


def test_importing_a_batch_twice_changes_nothing(client, token):
    (outcome,) = post_and_import(client, token, scenario(seed=5).alerts)
    before = (Case.objects.count(), Evidence.objects.count(), CaseAccount.objects.count())

    from ingestion.importing import import_batch_now

    assert import_batch_now(outcome.batch_id) is None
    Batch.objects.filter(pk=outcome.batch_id).update(status="pending")
    import_batch_now(outcome.batch_id)
    assert (Case.objects.count(), Evidence.objects.count(), CaseAccount.objects.count()) == before


def test_an_account_is_rewritten_only_when_an_alert_tells_something_new(client, token):
    def version():
        with connection.cursor() as cursor:
            cursor.execute("SELECT ctid::text FROM cases_account WHERE external_id = 'acct_r1'")
            return cursor.fetchone()[0]

    account = {"external_id": "acct_r1", "country": "NL"}
    post_and_import(client, token, [alert("r-1", accounts=[account])])
    stored = version()
    post_and_import(client, token, [alert("r-2", accounts=[{"external_id": "acct_r1"}])])
    post_and_import(client, token, [alert("r-3", accounts=[account])])
    assert version() == stored
    post_and_import(
        client,
        token,
        [alert("r-4", accounts=[account], observed_at="2026-11-29T10:00:00Z")],
    )
    assert version() != stored
    post_and_import(
        client, token, [alert("r-5", accounts=[{"external_id": "acct_r1", "country": "BE"}])]
    )
    row = Account.objects.get(external_id="acct_r1")
    assert (row.country, row.last_seen.isoformat()) == ("BE", "2026-11-29T10:00:00+00:00")
    assert cases_of(["r-1", "r-2", "r-3", "r-4", "r-5"]) == {row.case_links.get().case_id}


def test_new_cases_get_severity_and_sla_from_the_table(client, token):
    post_and_import(client, token, [alert("sev-1", severity="critical")])
    case = Case.objects.get(pk=cases_of(["sev-1"]).pop())
    assert case.severity == "critical"
    hours = (case.sla_due_at - case.created_at).total_seconds() / 3600
    assert round(hours) == settings.CASE_SLA_HOURS["critical"]


def test_an_alert_matching_a_worked_case_joins_the_older_and_relates_them(client, token, make_user):
    from cases.workflow import add_note

    post_and_import(
        client,
        token,
        [alert("old", accounts=[{"external_id": "acct_a", "payment_fingerprint": "pf_a"}])],
    )
    post_and_import(
        client,
        token,
        [alert("new", accounts=[{"external_id": "acct_b", "payment_fingerprint": "pf_b"}])],
    )
    older, newer = cases_of(["old"]).pop(), cases_of(["new"]).pop()
    # A person worked the older case (its status is still new): never merged unasked.
    add_note(older, "looking into it", actor=make_user("investigator"))
    bridge = alert("bridge", accounts=[{"external_id": "acct_a"}, {"external_id": "acct_b"}])
    post_and_import(client, token, [bridge])

    assert cases_of(["bridge"]) == {older}
    assert set(Case.objects.get(pk=older).related_cases.values_list("id", flat=True)) == {newer}
    assert set(Case.objects.get(pk=newer).related_cases.values_list("id", flat=True)) == {older}
    assert Case.objects.get(pk=newer).status == "new"  # nothing merged
    assert Case.objects.get(pk=newer).merged_into_id is None
    note = Evidence.objects.get(case_id=newer, kind="link")
    assert f"case #{older}" in note.title and "acct_b" in note.content

    # Another alert bridging the same two cases adds no second relation note.
    again = alert("bridge-2", accounts=[{"external_id": "acct_a"}, {"external_id": "acct_b"}])
    post_and_import(client, token, [again])
    assert Evidence.objects.filter(case_id=newer, kind="link").count() == 1
    assert cases_of(["bridge-2"]) == {older}


def test_a_returning_operator_opens_a_case_flagged_as_possible_evasion(client, token, make_user):
    from cases.workflow import close

    world = scenario(seed=11, operators=1)
    post_and_import(client, token, world.alerts)
    op = world.operators[0]
    earlier = cases_of([op.alerts[0]["external_id"]]).pop()
    lead = make_user("lead")
    close(earlier, "confirmed_abuse", actor=lead, reason="distillation confirmed")

    from datetime import UTC, datetime

    back = returning_operator_alert(op, seed=11, now=datetime(2026, 12, 5, tzinfo=UTC), suffix="x")
    post_and_import(client, token, [back])

    case = Case.objects.get(pk=cases_of([back["external_id"]]).pop())
    assert case.pk != earlier
    assert case.is_possible_evasion
    assert list(case.related_cases.values_list("id", flat=True)) == [earlier]
    note = Evidence.objects.get(case=case, kind="link")
    assert "possible evasion" in note.content
    assert op.payment_fingerprints[0] in note.content


def test_an_alert_for_a_benign_closed_case_opens_an_ordinary_case(client, token, make_user):
    from cases.workflow import close

    post_and_import(client, token, [alert("first", accounts=[{"external_id": "acct_fp"}])])
    close(cases_of(["first"]).pop(), "false_positive", actor=make_user("lead"), reason="ok")
    post_and_import(client, token, [alert("second", accounts=[{"external_id": "acct_fp"}])])

    case = Case.objects.get(pk=cases_of(["second"]).pop())
    assert not case.is_possible_evasion
    assert not case.related_cases.exists()


def test_campaign_hints_join_only_within_one_detector(client, token):
    other = create_detector("traffic-job", rate=0).token
    post_and_import(client, token, [alert("c-1", campaign_hint="cluster-7")])
    post_and_import(client, token, [alert("c-2", campaign_hint="cluster-7")])
    post_and_import(client, other, [alert("c-3", campaign_hint="cluster-7")])

    assert len(cases_of(["c-1", "c-2"])) == 1
    assert cases_of(["c-3"]).isdisjoint(cases_of(["c-1"]))


def test_untouched_cases_tied_by_a_new_alert_are_merged_into_the_oldest(client, token):
    from audit.models import AuditEvent
    from cases.queries import audit_trail

    for name, account, fingerprint in (
        ("m-1", "acct_m1", "pf_77ab"),
        ("m-2", "acct_m2", "pf_m2"),
        ("m-3", "acct_m3", "pf_m3"),
    ):
        post_and_import(
            client,
            token,
            [alert(name, accounts=[{"external_id": account, "payment_fingerprint": fingerprint}])],
        )
    first, second, third = (cases_of([name]).pop() for name in ("m-1", "m-2", "m-3"))
    Case.objects.filter(pk=third).update(tlp="red")
    bridge = alert(
        "m-bridge",
        accounts=[
            {"external_id": "acct_m9", "payment_fingerprint": "pf_77ab"},
            {"external_id": "acct_m2"},
            {"external_id": "acct_m3"},
        ],
    )
    post_and_import(client, token, [bridge])

    assert cases_of(["m-1", "m-2", "m-3", "m-bridge"]) == {first}
    survivor = Case.objects.get(pk=first)
    assert survivor.tlp == "red"
    assert survivor.alert_count == 4
    assert set(survivor.account_links.values_list("account__external_id", flat=True)) == {
        "acct_m1",
        "acct_m2",
        "acct_m3",
        "acct_m9",
    }
    for pk in (second, third):
        case = Case.objects.get(pk=pk)
        assert (case.status, case.resolution, case.merged_into_id) == ("closed", "duplicate", first)
        (event,) = AuditEvent.objects.filter(verb="case.merged_into", target_id=str(pk))
        assert "shares payment fingerprint pf_77ab" in event.reason
        assert event.system == "import"
    (event,) = AuditEvent.objects.filter(verb="case.merged")
    assert "shares payment fingerprint pf_77ab" in event.reason
    assert sorted(event.after["merged"]) == sorted([second, third])
    assert {e.verb for e in audit_trail(survivor)} >= {"case.merged", "case.merged_into"}
    assert Case.objects.filter(status="new").count() == 1


def test_cases_opened_in_one_batch_and_tied_later_in_it_are_merged(client, token):
    alerts = [
        alert("b-1", accounts=[{"external_id": "acct_b1", "payment_fingerprint": "pf_b1"}]),
        alert("b-2", accounts=[{"external_id": "acct_b2", "payment_fingerprint": "pf_b2"}]),
        alert(
            "b-3",
            accounts=[
                {"external_id": "acct_b3", "payment_fingerprint": "pf_b1"},
                {"external_id": "acct_b4", "payment_fingerprint": "pf_b2"},
            ],
        ),
        alert("b-4", accounts=[{"external_id": "acct_b5", "payment_fingerprint": "pf_b2"}]),
    ]
    post_and_import(client, token, alerts)

    (case_id,) = cases_of(["b-1", "b-2", "b-3", "b-4"])
    case = Case.objects.get(pk=case_id)
    assert case.alert_count == 4 and case.account_count == 5
    assert Case.objects.filter(status="closed", resolution="duplicate").count() == 1
