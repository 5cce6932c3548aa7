"""One overdue rule: the queue filter's SQL and a loaded case agree."""

from datetime import timedelta

import pytest
from django.utils import timezone

from cases.models import Case, overdue_q
from tests.cases.factories import make_case

pytestmark = pytest.mark.django_db


def test_the_sql_rule_and_the_row_rule_agree():
    past, future = timezone.now() - timedelta(hours=1), timezone.now() + timedelta(hours=1)
    cases = [
        make_case(status="investigating", sla_due_at=past),
        make_case(status="closed", resolution="benign", sla_due_at=past),
        make_case(status="new", sla_due_at=future),
        make_case(status="triage", sla_due_at=None),
    ]
    in_sql = set(Case.objects.filter(overdue_q()).values_list("pk", flat=True))
    assert in_sql == {case.pk for case in cases if case.is_overdue} == {cases[0].pk}
