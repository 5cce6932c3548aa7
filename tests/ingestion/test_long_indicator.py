import random

import pytest

from cases.models import Indicator
from ingestion.detectors import create_detector
from tests.ingestion.correlation_helpers import alert, post_and_import

pytestmark = pytest.mark.django_db


def test_a_thousand_multibyte_characters_are_one_indicator(client):
    token = create_detector("simulator", rate=0).token
    rng = random.Random(7)
    # CJK characters take 3 bytes each in UTF-8 and barely compress: ~3000 bytes.
    value = "".join(chr(rng.randrange(0x4E00, 0x9FFF)) for _ in range(1000))
    for n in range(2):
        post_and_import(
            client,
            token,
            [
                alert(
                    f"ua-{n}",
                    accounts=[{"external_id": f"acct_{n}"}],
                    indicators=[{"type": "user_agent", "value": value}],
                )
            ],
        )
    (indicator,) = Indicator.objects.filter(type="user_agent")
    assert indicator.value == value and len(value.encode()) > 2704
    assert indicator.accounts.count() == 2


def test_a_value_postgresql_refuses_for_good_is_not_retried():
    from ingestion.importing.run import _pg_cursor, is_transient

    with _pg_cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE too_long (v text PRIMARY KEY)")
        with pytest.raises(Exception) as refused:
            cursor.execute(
                "INSERT INTO too_long SELECT string_agg(md5(g::text), '') "
                "FROM generate_series(1, 200) g"
            )
    assert refused.value.sqlstate == "54000"
    assert not is_transient(refused.value)
