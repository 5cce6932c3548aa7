"""A merge carries the values flagged for review to the survivor, one flag per value."""

from __future__ import annotations

import pytest

from cases import workflow
from cases.models import Indicator, ReviewFlag

pytestmark = pytest.mark.django_db


def test_flags_move_to_the_survivor_and_the_survivor_keeps_its_own(person, make_case):
    survivor, merged = make_case(), make_case()
    shared = Indicator.objects.create(type="payment_fingerprint", value="pf_both")
    only_merged = Indicator.objects.create(type="device_fingerprint", value="dev_merged")
    kept = ReviewFlag.objects.create(case=survivor, indicator=shared, kind="worked_cases")
    ReviewFlag.objects.create(case=merged, indicator=shared, kind="protected_account")
    moved = ReviewFlag.objects.create(case=merged, indicator=only_merged, kind="worked_cases")

    workflow.merge_cases(survivor.pk, [merged.pk], actor=person("lead"), reason="one operator")

    assert sorted(ReviewFlag.objects.values_list("pk", "case_id")) == sorted(
        [(kept.pk, survivor.pk), (moved.pk, survivor.pk)]
    )
