"""An action's network targets are named as the import stores the indicators they were seen as."""

import pytest

from cases.indicator_values import normalise
from enforcement.workflow import InvalidProposal, propose_action
from tests.enforcement.conftest import make_case_with_accounts

pytestmark = pytest.mark.django_db

TARGETS = [("ip", "::ffff:198.51.100.7"), ("cidr", "2001:DB8::/32"), ("asn", "1.10")]


def test_targets_take_the_stored_form_of_their_indicator(people):
    case, _ = make_case_with_accounts(1)

    action = propose_action(
        case.pk, actor=people.investigator, kind="block_network", targets=TARGETS
    )

    stored = {normalise(kind, value, detector_name="") for kind, value in TARGETS}
    assert set(action.targets.values_list("value", flat=True)) == stored
    assert stored == {"198.51.100.7", "2001:db8::/32", "AS65546"}


@pytest.mark.parametrize(
    ("kind", "value", "message"),
    [("ip", "fe80::1%eth0", "not a valid ip"), ("asn", "AS4294967296", "not an ASN")],
)
def test_values_the_import_refuses_are_refused_as_targets(people, kind, value, message):
    case, _ = make_case_with_accounts(1)

    with pytest.raises(InvalidProposal, match=message):
        propose_action(
            case.pk, actor=people.investigator, kind="block_network", targets=[(kind, value)]
        )
