"""An audit trail of campaign shape for the export benchmark, written with ``COPY``.

``build(conn, events)`` appends ``events`` audit events after the chain's head,
in the caller's transaction (it never commits), as six weeks of a trust and
safety team's work on distillation networks leave them:

- **the imports** (about 8%): ``batch.imported`` by the system, each naming the
  cases the batch touched (mostly a handful, one in twenty between 50 and 400)
  with the alerts and accounts it brought each, as the import writes it;
- **people's steps** on cases and accounts (about 70%): evidence read and added,
  notes, accounts linked and unlinked, severity, tags, status, attribution,
  assignment, protection, by 200 people (investigators, leads, managers, the
  escalation levels), each with the address and request id of their request;
- **actions** (about 13%): proposals naming their targets and parameters,
  approvals with their comments, execution by the system with its counts,
  rejections;
- **sign-ins and sign-outs** (about 8%, no case) and the imports' failures
  (about 1%, by the detector).

``before``/``after`` are the documents those steps record, from a few dozen
bytes to several kilobytes. The events are numbered, linked and hashed as
``audit.events`` does (``audit.chain.compute_hash`` over jsonb's own text of
the documents, which PostgreSQL gives back a chunk at a time on a second
connection) and sealed with ``AUDIT_SIGNING_KEY`` (``audit.signing``), under the chain's lock held to the caller's commit, so
``manage.py audit verify`` passes and exports verify. Times rise strictly with
the sequence. The cases are named by id only (no case rows: an export reads the
events alone). The same seed gives the same events.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import psycopg
from django.conf import settings

from audit.chain import GENESIS_HASH, HASHED_FIELDS, compute_hash
from audit.events import CHAIN_LOCK_KEY
from audit.signing import seal_message, sign
from bench.page_data.model import CAMPAIGN_DAYS
from bench.page_data.rows import Ids
from people.roles import Role

PEOPLE = {
    Role.INVESTIGATOR: 120,
    Role.LEAD: 40,
    Role.MANAGER: 20,
    Role.POLICY: 8,
    Role.LEGAL: 6,
    Role.EXECUTIVE: 6,
}
DETECTORS = (
    "campaign-prompt-classifier",
    "campaign-account-clustering",
    "campaign-traffic-jobs",
)
CASES = 15_000
# Events hashed per round trip for jsonb's text of their documents.
CHUNK = 5_000
STORED = (*HASHED_FIELDS, "hash", "seal")
SEVERITIES = ("low", "medium", "high", "critical")
TAGS = ("distillation", "operator-a", "proxy", "payment", "reseller", "benign", "escalated")
STATUSES = ("open", "triaged", "in_progress", "awaiting_approval", "closed")
ACTION_KINDS = ("suspend", "terminate", "rate_limit", "block_payment", "block_asn")
SENTENCE = (
    "accounts share the prompt templates of the cluster and rotate through the same "
    "residential proxies; the payment fingerprint ties them to the operator's earlier "
    "batch, and their requests elicit chain-of-thought at a steady rate around the clock"
)
WORDS = tuple(SENTENCE.split(" "))


@dataclass(frozen=True)
class Built:
    """What ``build`` wrote: the people (ids per role, usernames) and the events."""

    people: dict[str, list[int]]
    usernames: dict[int, str]
    events: int
    first_sequence: int
    last_sequence: int


def build(conn: psycopg.Connection, events: int, *, seed: int = 7, password: str = "!") -> Built:
    """Write the people and ``events`` audit events (see the module's docstring)."""
    key = settings.AUDIT_SIGNING_KEY
    rng = random.Random(seed)
    now = datetime.now(UTC).replace(microsecond=0)
    start = now - timedelta(days=CAMPAIGN_DAYS)
    people, usernames = _people(conn, Ids(conn), password, start)
    conn.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK_KEY])
    head = conn.execute(
        "SELECT sequence, hash FROM audit_auditevent ORDER BY sequence DESC LIMIT 1"
    ).fetchone()
    sequence, prev_hash = head if head else (0, GENESIS_HASH)
    first = sequence + 1
    trail = Trail(rng, people, usernames, start, now - timedelta(hours=1), events)
    # jsonb's text of the documents, from a connection of its own: this one is in COPY.
    with (
        psycopg.connect(conn.info.dsn, password=conn.info.password, autocommit=True) as texts,
        conn.cursor() as cursor,
        cursor.copy(f"COPY audit_auditevent ({', '.join(STORED)}) FROM STDIN") as copy,
    ):
        for chunk in trail.chunks(CHUNK):
            documents = []
            for event in chunk:
                documents.append(event["before"])
                documents.append(event["after"])
            canonical = texts.execute(
                "SELECT ARRAY(SELECT d::jsonb::text FROM unnest(%s::text[]) WITH ORDINALITY"
                " AS t(d, n) ORDER BY n)",
                [documents],
            ).fetchone()[0]
            for index, event in enumerate(chunk):
                sequence += 1
                event["sequence"] = sequence
                event["prev_hash"] = prev_hash
                event["before"], event["after"] = canonical[2 * index], canonical[2 * index + 1]
                prev_hash = compute_hash(**event)
                copy.write_row((*event.values(), prev_hash, sign(key, seal_message(prev_hash))))
    return Built(people, usernames, events, first, sequence)


def _people(
    conn: psycopg.Connection, ids: Ids, password: str, joined: datetime
) -> tuple[dict[str, list[int]], dict[int, str]]:
    groups = dict(conn.execute("SELECT name, id FROM auth_group").fetchall())
    total = sum(PEOPLE.values())
    user_ids = iter(ids.take("auth_user", total))
    link_ids = iter(ids.take("auth_user_groups", total))
    people: dict[str, list[int]] = {}
    usernames: dict[int, str] = {}
    users, links = [], []
    for role, count in PEOPLE.items():
        for n in range(1, count + 1):
            pk = next(user_ids)
            username = f"trail-{role}-{n}"
            people.setdefault(str(role), []).append(pk)
            usernames[pk] = username
            users.append((pk, password, False, username, "", "", "", False, True, joined))
            links.append((next(link_ids), pk, groups[str(role)]))
    with conn.cursor() as cursor:
        columns = "id, password, is_superuser, username, first_name, last_name, email, is_staff, is_active, date_joined"
        with cursor.copy(f"COPY auth_user ({columns}) FROM STDIN") as copy:
            for row in users:
                copy.write_row(row)
        with cursor.copy("COPY auth_user_groups (id, user_id, group_id) FROM STDIN") as copy:
            for row in links:
                copy.write_row(row)
    return people, usernames


class Trail:
    """The events, oldest first, as dicts of ``HASHED_FIELDS`` (``before``/``after``
    as JSON text, ``sequence`` and ``prev_hash`` left to the chain)."""

    def __init__(
        self,
        rng: random.Random,
        people: dict[str, list[int]],
        usernames: dict[int, str],
        start: datetime,
        end: datetime,
        events: int,
    ) -> None:
        self.rng = rng
        self.people = people
        self.usernames = usernames
        self.start = start
        self.span = (end - start) / max(1, events)
        self.events = events
        self.workers = [pk for role in ("investigator", "lead") for pk in people[role]]
        self.everyone = list(usernames)
        self.actions = 0
        self.kinds = (
            (0.08, self.imported),
            (0.70, self.step),
            (0.83, self.action),
            (0.91, self.session),
            (0.92, self.import_failed),
            (1.00, self.evidence_viewed),
        )

    def chunks(self, size: int) -> Iterator[list[dict]]:
        chunk: list[dict] = []
        for number in range(self.events):
            chunk.append(self.event(number))
            if len(chunk) == size:
                yield chunk
                chunk = []
        if chunk:
            yield chunk

    def event(self, number: int) -> dict:
        # Strictly rising: each event in its own slot of the six weeks.
        at = self.start + self.span * (number + 0.9 * self.rng.random())
        draw = self.rng.random()
        make = next(make for share, make in self.kinds if draw < share)
        event = {name: "" for name in HASHED_FIELDS}
        event.update(occurred_at=at, actor_id=None, case_ids=[], before=None, after=None)
        event.update(make())
        for name in ("before", "after"):
            if event[name] is not None:
                event[name] = json.dumps(event[name])
        return event

    # --- who and what ---------------------------------------------------------

    def case(self) -> int:
        # Some cases are worked far more than others.
        return 1 + int(CASES * self.rng.random() ** 2)

    def account(self) -> str:
        return f"acct-{self.rng.getrandbits(40):010x}"

    def text(self, low: int, high: int) -> str:
        return " ".join(self.rng.choices(WORDS, k=self.rng.randint(low, high))).capitalize() + "."

    def by_person(self, actor: int, case: int | None = None) -> dict:
        fields = {
            "actor_id": actor,
            "actor_username": self.usernames[actor],
            "remote_addr": f"10.20.{actor // 250 % 250}.{actor % 250}",
            "request_id": uuid.UUID(int=self.rng.getrandbits(128), version=4).hex,
        }
        if case is not None:
            fields["case_ids"] = [case]
        return fields

    def on_case(self, verb: str, actor: int, case: int, **fields) -> dict:
        return {
            **self.by_person(actor, case),
            "verb": verb,
            "target_type": "cases.case",
            "target_id": str(case),
            "target_repr": f"#{case} Distillation network {case % 97}: operator accounts",
            **fields,
        }

    # --- the kinds of events --------------------------------------------------

    def imported(self) -> dict:
        rng = self.rng
        draw = rng.random()
        touched = rng.randint(1, 5) if draw < 0.7 else rng.randint(5, 50) if draw < 0.95 else 0
        touched = touched or rng.randint(50, 400)
        cases = sorted({self.case() for _ in range(touched)})
        batch = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        return {
            "system": "import",
            "verb": "batch.imported",
            "target_type": "ingestion.batch",
            "target_id": batch,
            "target_repr": batch,
            "case_ids": cases,
            "after": {
                "detector": rng.choice(DETECTORS),
                "status": "imported",
                "alerts_imported": 500,
                "cases_touched": len(cases),
                "arrivals": {str(c): [rng.randint(1, 40), rng.randint(0, 20)] for c in cases},
            },
        }

    def step(self) -> dict:
        rng = self.rng
        actor = rng.choice(self.workers)
        case = self.case()
        verb = rng.choice(STEP_VERBS)
        if verb == "note.added":
            return self.on_case(
                verb, actor, case, after={"note": rng.randint(1, 10**6), "body": self.text(10, 80)}
            )
        if verb == "evidence.added":
            pk = rng.randint(1, 10**7)
            return {
                **self.by_person(actor, case),
                "verb": verb,
                "target_type": "cases.evidence",
                "target_id": str(pk),
                "target_repr": f"Analyst finding {pk}",
                "after": {"kind": "finding", "title": f"Analyst finding {pk}", "case": case},
            }
        if verb in ("case.account_linked", "case.account_unlinked", "account.protected"):
            account = self.account()
            return {
                **self.by_person(actor, case),
                "verb": verb,
                "target_type": "cases.account",
                "target_id": str(rng.randint(1, 10**6)),
                "target_repr": account,
                "after": {"account": account, "case": case, "reason": "manual"},
                "reason": self.text(4, 20),
            }
        if verb == "case.severity_changed":
            before, after = rng.sample(SEVERITIES, 2)
            return self.on_case(
                verb, actor, case, before={"severity": before}, after={"severity": after}
            )
        if verb == "case.tags_changed":
            return self.on_case(
                verb,
                actor,
                case,
                before={"tags": rng.sample(TAGS, rng.randint(0, 3))},
                after={"tags": rng.sample(TAGS, rng.randint(1, 4))},
            )
        if verb == "case.status_changed":
            before, after = rng.sample(STATUSES, 2)
            return self.on_case(
                verb, actor, case, before={"status": before}, after={"status": after}
            )
        if verb == "case.attribution_changed":
            return self.on_case(
                verb,
                actor,
                case,
                before={"attribution_actor": "", "confidence": ""},
                after={
                    "attribution_actor": f"Operator {chr(65 + case % 6)}",
                    "confidence": rng.choice(("low", "medium", "high")),
                    "rationale": self.text(8, 40),
                },
            )
        assignee = rng.choice(self.workers)
        return self.on_case(
            verb,
            actor,
            case,
            before={"assignee": None},
            after={"assignee": self.usernames[assignee]},
        )

    def evidence_viewed(self) -> dict:
        actor = self.rng.choice(self.everyone)
        pk = self.rng.randint(1, 10**7)
        return {
            **self.by_person(actor, self.case()),
            "verb": "evidence.viewed",
            "target_type": "cases.evidence",
            "target_id": str(pk),
            "target_repr": f"Alert campaign-{pk}: distillation.cot_elicitation",
        }

    def action(self) -> dict:
        rng = self.rng
        self.actions += 1
        pk = self.actions
        case = self.case()
        kind = ACTION_KINDS[pk % len(ACTION_KINDS)]
        targets = rng.choice((1, 3, 12, 40, 150, 600, 2_500))
        common = {
            "target_type": "enforcement.action",
            "target_id": str(pk),
            "target_repr": f"{kind} of {targets} targets (#{pk})",
            "case_ids": [case],
        }
        draw = rng.random()
        if draw < 0.3:
            return {
                **common,
                **self.by_person(rng.choice(self.workers)),
                "verb": "action.proposed",
                "before": {"status": "in_progress", "version": rng.randint(1, 50)},
                "after": {
                    "status": "awaiting_approval",
                    "action": pk,
                    "kind": kind,
                    "targets": targets,
                    "protected_excluded": rng.randint(0, 3),
                    "params": {"duration_days": rng.choice((7, 30, 90)), "scope": "platform"},
                    "notice": self.text(10, 40),
                    "expires_at": None,
                    "approvals_required": rng.choice((1, 2)),
                },
                "reason": self.text(10, 60),
            }
        if draw < 0.6:
            lead = rng.choice(self.people["lead"] + self.people["manager"])
            return {
                **common,
                **self.by_person(lead),
                "verb": rng.choice(("action.approved", "action.second_approved")),
                "before": {"state": "proposed"},
                "after": {"state": "approved", "approvals": rng.randint(1, 2)},
                "reason": self.text(3, 25),
            }
        if draw < 0.9:
            executed = rng.randint(0, targets)
            return {
                **common,
                "system": "enforcement",
                "verb": rng.choice(("action.execution_started", "action.executed")),
                "before": {"status": "awaiting_approval", "state": "approved"},
                "after": {
                    "status": "in_progress",
                    "state": "executed",
                    "executed": executed,
                    "failed": targets - executed,
                },
            }
        return {
            **common,
            **self.by_person(rng.choice(self.people["manager"])),
            "verb": "action.rejected",
            "before": {"state": "proposed"},
            "after": {"state": "rejected"},
            "reason": self.text(5, 30),
        }

    def session(self) -> dict:
        actor = self.rng.choice(self.everyone)
        return {
            **self.by_person(actor),
            "verb": self.rng.choice(("audit.login", "audit.logout")),
            "target_type": "auth.user",
            "target_id": str(actor),
            "target_repr": self.usernames[actor],
        }

    def import_failed(self) -> dict:
        detector = self.rng.choice(DETECTORS)
        batch = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
        return {
            "detector_id": str(DETECTORS.index(detector) + 1),
            "detector_name": detector,
            "verb": "batch.import_failed",
            "target_type": "ingestion.batch",
            "target_id": batch,
            "target_repr": batch,
            "after": {"error": "deadlock detected; retried", "attempts": self.rng.randint(1, 3)},
        }


STEP_VERBS = (
    "note.added",
    "evidence.added",
    "case.account_linked",
    "case.account_linked",
    "case.account_unlinked",
    "account.protected",
    "case.severity_changed",
    "case.tags_changed",
    "case.status_changed",
    "case.attribution_changed",
    "case.assigned",
)
