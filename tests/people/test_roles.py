"""Every role set is named for whom it admits, and admits exactly that."""

from people import roles

EVERY = {"investigator", "lead", "manager", "policy", "legal", "executive", "administrator"}


def test_each_role_set_admits_what_its_name_says():
    assert set(roles.ALL_ROLES) == EVERY
    assert set(roles.LEADS) == {"lead"}
    assert set(roles.MANAGERS) == {"manager"}
    assert set(roles.ADMINISTRATORS) == {"administrator"}
    assert set(roles.INVESTIGATORS_AND_LEADS) == {"investigator", "lead"}
    assert set(roles.LEADS_AND_MANAGERS) == {"lead", "manager"}
    assert set(roles.LEADS_AND_LEGAL) == {"lead", "legal"}
    assert set(roles.LEADS_AND_ADMINISTRATORS) == {"lead", "administrator"}
    assert set(roles.CASE_READERS) == EVERY - {"administrator"}
    assert set(roles.CASE_COMMENTERS) == EVERY - {"administrator", "manager"}
