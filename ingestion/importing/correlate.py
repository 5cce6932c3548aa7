"""Decide which case each alert belongs to (docs/alert-import.md).

An alert joins the open case that shares one of its strong keys: the
detector's campaign hint, a strong indicator (payment or device fingerprint,
API key prefix, prompt cluster), however many accounts share it, unless a
lead put it on the known-shared list; or an account. Weak indicators give no
keys at all. With no match it opens a new case. Matching two or more open
cases that no person has worked (still ``new``, unassigned, no event by a
person on their trails), it joins the oldest and the others are merged into
it (``write`` calls ``cases.workflow.merge_cases`` once the batch is
written); when any of them has been worked, it joins the oldest and they
become related, for a lead to merge. Matching an
account or strong indicator of a case closed as confirmed abuse, or actioned,
opens a new case flagged as possible evasion, related to the earlier one.

A protected account (an enterprise customer, a partner) never joins two
cases: an alert tied to a case only through one — its id, or its own payment
fingerprint — opens a case related to it instead of joining it. Strong
values the import cannot judge are flagged on the cases they touch for a
lead to decide (``cases.models.ReviewFlag``): one that ties cases people
have already worked, and one that reaches a protected account.

Runs under the correlation lock (see ``run``): the keys read here cannot
change until this transaction commits, so two workers never open two cases
for the same key. Decisions are made in memory, alert by alert, in batch order,
so later alerts of a batch see the cases earlier ones opened.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from cases.intake import severity_rank, worked_by_people
from cases.models import CaseStatus, Resolution, ReviewFlagKind
from ingestion.importing.prepare import PreparedAlert

JOINABLE = frozenset(
    {
        CaseStatus.NEW,
        CaseStatus.TRIAGE,
        CaseStatus.INVESTIGATING,
        CaseStatus.ESCALATED,
        CaseStatus.PENDING_ACTION,
    }
)
TYPE_LABELS = {
    "payment_fingerprint": "payment fingerprint",
    "device_fingerprint": "device fingerprint",
    "api_key_prefix": "API key prefix",
    "prompt_cluster": "prompt cluster",
}

_KEYS_SQL = "SELECT key, case_id, label FROM ingestion_correlationkey WHERE key = ANY(%b)"
_ACCOUNT_CASES_SQL = "SELECT account_id, case_id FROM cases_caseaccount WHERE account_id = ANY(%b)"
# Matched by type and digest: the list stores values in the indicators' own form.
_KNOWN_SHARED_SQL = """
SELECT i.id FROM cases_indicator AS i
 WHERE i.id = ANY(%b)
   AND EXISTS (SELECT 1 FROM cases_knownsharedvalue AS k
                WHERE k.type = i.type AND k.value_digest = i.value_digest)
"""
# Worked: a person has moved the case on from new, or taken it on.
_CASES_SQL = """
SELECT id, status, resolution, created_at, status <> 'new' OR assignee_id IS NOT NULL
  FROM cases_case WHERE id = ANY(%b)
"""
# The batch's protected accounts, and the strong values that are a protected
# account's own (its payment fingerprint). Both read only the few protected
# rows: by id (account_protected), and by the value's digest
# (protected_account_fingerprint; the text comparison only rechecks).
_PROTECTED_ACCOUNTS_SQL = """
SELECT id, external_id FROM cases_account WHERE is_protected AND id = ANY(%b)
"""
_PROTECTED_VALUES_SQL = """
SELECT i.id, min(a.external_id)
  FROM cases_indicator AS i
  JOIN cases_account AS a
    ON a.is_protected AND a.payment_fingerprint <> ''
   AND indicator_digest(a.payment_fingerprint) = i.value_digest
   AND a.payment_fingerprint = i.value
 WHERE i.id = ANY(%b) AND i.type = 'payment_fingerprint'
 GROUP BY i.id
"""


@dataclass(frozen=True)
class Protected:
    """The protected accounts a batch names (id -> external id), and the strong
    values that are a protected account's own (indicator id -> its external id)."""

    accounts: Mapping[int, str] = field(default_factory=dict)
    values: Mapping[int, str] = field(default_factory=dict)


def protected_in(cursor, strong_ids: list[int], account_ids: list[int]) -> Protected:
    """What of a batch belongs to protected accounts, read under the correlation lock."""
    values: dict[int, str] = {}
    accounts: dict[int, str] = {}
    if strong_ids:
        cursor.execute(_PROTECTED_VALUES_SQL, [strong_ids])
        values = dict(cursor.fetchall())
    if account_ids:
        cursor.execute(_PROTECTED_ACCOUNTS_SQL, [account_ids])
        accounts = dict(cursor.fetchall())
    return Protected(accounts, values)


@dataclass(eq=False)
class CaseRef:
    """An existing case (``id`` set) or one this import opens (``id`` set on insert)."""

    id: int | None
    status: str
    resolution: str
    created_at: datetime
    order: int  # creation order among new cases; existing cases sort first
    is_new: bool = False
    worked: bool = False
    # Set when this batch merges the case into another (which may be merged in turn).
    merged_into: CaseRef | None = None
    title: str = ""
    summary: str = ""
    correlation_key: str = ""
    possible_evasion: bool = False
    # The alert's keys, best first: the new case's correlation key is the first free one.
    primary_keys: list[str] = field(default_factory=list)
    # Filled while assigning alerts.
    max_rank: int = 0
    alerts: int = 0

    @property
    def joinable(self) -> bool:
        return self.status in JOINABLE

    @property
    def untouched(self) -> bool:
        """No person has worked it: the import may merge it."""
        return self.is_new or (self.status == CaseStatus.NEW and not self.worked)

    @property
    def evasion_source(self) -> bool:
        return self.status == CaseStatus.ACTIONED or (
            self.status == CaseStatus.CLOSED and self.resolution == Resolution.CONFIRMED_ABUSE
        )

    def sort_key(self) -> tuple:
        return (self.is_new, self.created_at, self.id or 0, self.order)

    def describe_closure(self) -> str:
        return "actioned" if self.status == CaseStatus.ACTIONED else "closed as confirmed abuse"


class Key(NamedTuple):
    """One key of an alert (a tuple: an import makes a few thousand)."""

    key: str
    label: str  # how a case holds it: "payment fingerprint pf_77ab with acct_8f2c"
    indicator_id: int | None = None
    account_id: int | None = None
    # The protected account this key goes through (its id or its own value), if any.
    protected: str = ""


@dataclass
class Decision:
    alert: PreparedAlert
    case: CaseRef
    opened: bool
    reasons: list[str]  # why it joined (empty when it opened the case)
    keys: list[Key]


@dataclass
class Relation:
    a: CaseRef
    b: CaseRef
    alert: PreparedAlert
    why: str
    evasion: bool = False


@dataclass
class Flag:
    """A strong value to flag on a case for review."""

    case: CaseRef
    indicator_id: int
    kind: str
    detail: str


@dataclass
class MergeStep:
    """``merged`` goes into ``survivor``: ``alert`` ties them, as the two reasons say."""

    survivor: CaseRef
    merged: CaseRef
    alert: PreparedAlert
    survivor_reason: str
    merged_reason: str

    def why(self) -> str:
        """Read once both cases have ids: 'alert a-7 shares payment fingerprint pf_77ab ...'."""
        head = f"alert {self.alert.external_id}"
        if self.survivor_reason == self.merged_reason:
            return (
                f"{head} {self.survivor_reason} (cases #{self.survivor.id} and #{self.merged.id})"
            )
        return (
            f"{head} {self.survivor_reason} (case #{self.survivor.id}) "
            f"and {self.merged_reason} (case #{self.merged.id})"
        )


@dataclass
class Correlation:
    decisions: list[Decision] = field(default_factory=list)
    relations: list[Relation] = field(default_factory=list)
    flags: list[Flag] = field(default_factory=list)
    flagged: set[tuple[int, int]] = field(default_factory=set)
    # (case, key) pairs to store as correlation keys, and (case, account id, reason) links.
    new_keys: list[tuple[CaseRef, Key]] = field(default_factory=list)
    new_accounts: list[tuple[CaseRef, int, str]] = field(default_factory=list)
    cases: dict[int, CaseRef] = field(default_factory=dict)
    opened: list[CaseRef] = field(default_factory=list)
    # Pairs already given a relation in this batch (by object: new cases have no id yet).
    related_pairs: set[frozenset[int]] = field(default_factory=set)
    merges: list[MergeStep] = field(default_factory=list)

    def related(self, a: CaseRef, b: CaseRef) -> bool:
        """Whether the pair is one case or already related in this batch (checked
        first: alerts of a busy batch meet the same pair again and again)."""
        return a is b or _pair(a, b) in self.related_pairs

    def relate(self, relation: Relation) -> None:
        if not self.related(relation.a, relation.b):
            self.related_pairs.add(_pair(relation.a, relation.b))
            self.relations.append(relation)

    def flag(self, case: CaseRef, indicator_id: int, kind: str, detail: str) -> None:
        if (id(case), indicator_id) not in self.flagged:
            self.flagged.add((id(case), indicator_id))
            self.flags.append(Flag(case, indicator_id, kind, detail))

    def merge(self, step: MergeStep) -> None:
        step.merged.merged_into = step.survivor
        self.merges.append(step)


def resolve(case: CaseRef) -> CaseRef:
    """The case ``case`` ends up in once this batch's merges are done."""
    while case.merged_into is not None:
        case = case.merged_into
    return case


def _pair(a: CaseRef, b: CaseRef) -> frozenset[int]:
    return frozenset((id(a), id(b)))


def silenced_values(cursor, strong_ids: list[int]) -> set[int]:
    """Of these strong values (indicator ids), those that join nothing.

    No count silences a strong value: breadth is what a campaign looks like
    (docs/alert-import.md), so only people may decide that one is shared
    honestly. The one place the import asks which strong values to leave out:
    those on the leads' known-shared list, read here under the correlation
    lock, so an entry counts from the next batch on.
    """
    cursor.execute(_KNOWN_SHARED_SQL, [strong_ids])
    return {pk for (pk,) in cursor.fetchall()}


def alert_keys(
    alert: PreparedAlert, silenced: set[int], protected: Protected | None = None
) -> list[Key]:
    protected = protected or Protected()
    keys: list[Key] = []
    if alert.campaign_hint:
        keys.append(
            Key(
                f"campaign:{alert.detector_id}:{alert.campaign_hint}",
                f"campaign {alert.campaign_hint!r} of detector {alert.detector_name}",
            )
        )
    for pk, kind, value, owner in alert.strong:
        if pk in silenced:
            continue
        label = f"{TYPE_LABELS[kind]} {value}" + (f" with {owner}" if owner else "")
        keys.append(
            Key(
                f"indicator:{pk}",
                label,
                indicator_id=pk,
                protected=protected.values.get(pk, ""),
            )
        )
    for ref, account_id in zip(alert.accounts, alert.account_ids, strict=True):
        keys.append(
            Key(
                f"account:{account_id}",
                f"account {ref.external_id}",
                account_id=account_id,
                protected=protected.accounts.get(account_id, ""),
            )
        )
    return keys


def correlate(
    cursor,
    alerts: list[PreparedAlert],
    silenced: set[int],
    now: datetime,
    protected: Protected | None = None,
) -> Correlation:
    result = Correlation()
    per_alert = [alert_keys(alert, silenced, protected) for alert in alerts]

    # What the database already holds for these keys:
    # key -> {case holding it: how it holds it}, in the order cases took the key.
    holders: dict[str, dict[CaseRef, str]] = {}
    wanted = sorted({k.key for keys in per_alert for k in keys if k.account_id is None})
    account_ids = sorted({k.account_id for keys in per_alert for k in keys if k.account_id})
    rows: list[tuple[str, int, str]] = []
    if wanted:
        cursor.execute(_KEYS_SQL, [wanted])
        rows += cursor.fetchall()
    if account_ids:
        labels = {k.account_id: k.label for keys in per_alert for k in keys if k.account_id}
        cursor.execute(_ACCOUNT_CASES_SQL, [account_ids])
        rows += [(f"account:{a}", case_id, labels[a]) for a, case_id in cursor.fetchall()]
    if rows:
        cursor.execute(_CASES_SQL, [sorted({case_id for _, case_id, _ in rows})])
        for pk, status, resolution, created_at, worked in cursor.fetchall():
            result.cases[pk] = CaseRef(pk, status, resolution, created_at, order=0, worked=worked)
        # Still new and unassigned, yet a person may have written on its trail.
        fresh = [pk for pk, ref in result.cases.items() if not ref.worked]
        for pk in worked_by_people(cursor, fresh):
            result.cases[pk].worked = True
        for key, case_id, label in rows:
            holders.setdefault(key, {})[result.cases[case_id]] = label

    for alert, keys in zip(alerts, per_alert, strict=True):
        result.decisions.append(_assign(alert, keys, holders, result, now))
    return result


def _assign(alert, keys, holders, result: Correlation, now: datetime) -> Decision:
    open_hits: dict[CaseRef, list[str]] = {}
    # Open cases the alert reaches only through a protected account: related, never joined.
    protected_hits: dict[CaseRef, list[str]] = {}
    evasion_hits: dict[CaseRef, list[str]] = {}
    # Strong values and the open cases each reaches (for the review flags).
    value_hits: dict[Key, list[CaseRef]] = {}
    for key in keys:
        for case, label in holders.get(key.key, {}).items():
            if case.joinable:
                case = resolve(case)
                if key.protected:
                    protected_hits.setdefault(case, []).append(
                        f"shares {label}, of protected account {key.protected}"
                    )
                else:
                    open_hits.setdefault(case, []).append(f"shares {label}")
                if key.indicator_id is not None:
                    value_hits.setdefault(key, []).append(case)
            elif case.evasion_source and not key.key.startswith("campaign:"):
                evasion_hits.setdefault(case, []).append(f"shares {label}")

    rank = severity_rank(alert.severity)
    if open_hits:
        target = min(open_hits, key=CaseRef.sort_key)
        opened = False
        # Only when nobody has worked any of them: a person's case is never merged unasked.
        merging = len(open_hits) > 1 and all(case.untouched for case in open_hits)
        for other in sorted(open_hits, key=CaseRef.sort_key):
            if merging and other is not target:
                result.merge(
                    MergeStep(target, other, alert, open_hits[target][0], open_hits[other][0])
                )
            elif not result.related(target, other):
                why = (
                    f"alert {alert.external_id} {open_hits[target][0]} (this case) "
                    f"and {open_hits[other][0]} (the other)"
                )
                result.relate(Relation(target, other, alert, why))
    else:
        target = CaseRef(
            None,
            CaseStatus.NEW,
            "",
            now,
            order=len(result.opened) + 1,
            is_new=True,
            title=(alert.title or f"{alert.kind} reported by {alert.detector_name}")[:300],
            summary=alert.description[:5000],
        )
        target.primary_keys = [k.key for k in keys]
        result.opened.append(target)
        opened = True
    for case in sorted(protected_hits, key=CaseRef.sort_key):
        if case in open_hits or result.related(target, case):
            continue
        why = (
            f"alert {alert.external_id} {protected_hits[case][0]} (the other case), "
            "and a protected account never joins two cases"
        )
        result.relate(Relation(target, case, alert, why))
    _flag(alert, keys, target, open_hits, protected_hits, value_hits, result)
    for case, reasons in sorted(evasion_hits.items(), key=lambda item: item[0].sort_key()):
        target.possible_evasion = True
        if result.related(target, case):
            continue
        why = (
            f"possible evasion: alert {alert.external_id} {reasons[0]}, "
            f"of a case {case.describe_closure()}"
        )
        result.relate(Relation(target, case, alert, why, evasion=True))

    target.alerts += 1
    target.max_rank = max(target.max_rank, rank)
    reasons = [] if opened else open_hits[target]
    _remember(target, alert, keys, reasons, holders, result)
    return Decision(alert, target, opened, reasons, keys)


def _flag(alert, keys, target, open_hits, protected_hits, value_hits, result) -> None:
    """Flag the strong values a person should look at, on the cases they touch.

    A value that ties an alert to cases people have worked may be shared by
    honest customers rather than by one operator; so may a value that reaches
    a protected account (one of its own values on another account, or a value
    of an alert naming it). Counting cannot tell: a lead decides.
    """
    if not value_hits:
        return
    touched = {target, *open_hits, *protected_hits}
    worked = sorted((case for case in touched if case.worked), key=CaseRef.sort_key)
    names_protected = next((k.protected for k in keys if k.account_id and k.protected), "")
    names_unprotected = any(k.account_id and not k.protected for k in keys)
    for key, cases in value_hits.items():
        if len(touched) > 1 and worked:
            detail = (
                f"alert {alert.external_id} ties it to case(s) "
                + ", ".join(_case_label(case) for case in worked)
                + " that people have worked"
            )
            for case in dict.fromkeys([target, *worked]):
                result.flag(case, key.indicator_id, ReviewFlagKind.WORKED_CASES, detail)
        if key.protected and names_unprotected:
            detail = (
                f"alert {alert.external_id} carries it, a value of protected account "
                f"{key.protected}, on other accounts"
            )
        elif names_protected and not key.protected:
            detail = f"alert {alert.external_id} names protected account {names_protected} with it"
        else:
            continue
        for case in dict.fromkeys([target, *cases]):
            result.flag(case, key.indicator_id, ReviewFlagKind.PROTECTED_ACCOUNT, detail)


def _case_label(case: CaseRef) -> str:
    return f"#{case.id}" if case.id else "opened by this batch"


def _remember(case: CaseRef, alert, keys, reasons, holders, result: Correlation) -> None:
    """Give ``case`` every key of the alert, so later alerts find it."""
    origin = f"named in alert {alert.external_id} ({alert.kind}) from {alert.detector_name}"
    if reasons:
        origin += f", which joined because it {reasons[0]}"
    for key in keys:
        held = holders.setdefault(key.key, {})
        if case in held:
            continue
        held[case] = key.label
        if key.account_id is not None:
            result.new_accounts.append((case, key.account_id, origin))
        else:
            result.new_keys.append((case, key))
