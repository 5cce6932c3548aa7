"""What happened to the cases: alerts in batches with their evidence, the team's
notes and steps, actions, relations and review flags, and the cases' own rows."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections import defaultdict
from datetime import datetime, timedelta

from bench.page_data.model import BATCH_SIZE, KINDS, STEPS, CaseShape
from people.roles import Role


class Activity:
    """The builder's events and records (``bench.page_data.Builder`` holds the state)."""

    def write_alerts(self, cases: list[CaseShape]) -> None:
        sizes = self.sizes
        big, small, *others = cases
        per_account = sizes.alerts / max(1, sizes.accounts)
        counts = {big.id: sizes.alerts, small.id: 4 * sizes.small_accounts}
        for number, case in enumerate(others):
            operator = number < 5
            counts[case.id] = (
                max(1, round(len(case.accounts) * per_account)) if operator else 1 + number % 3
            )
        kinds = list(KINDS)
        by_detector: dict[int, list[tuple]] = defaultdict(list)
        for case in cases:
            for n in range(counts[case.id]):
                kind = kinds[(case.id + n) % len(kinds)]
                observed = self.moment(self.rng.random())
                by_detector[self.detectors[KINDS[kind]]].append((observed, case, n, kind))
        total = sum(counts.values())
        # A prompt/response sample with every 50th alert of the two cases measured.
        sampled = {big.id, small.id}
        samples = sum(len(range(0, counts[pk], 50)) for pk in sampled)
        alert_ids = iter(self.ids.take("ingestion_alert", total))
        evidence_ids = iter(self.ids.take("cases_evidence", total + samples))
        names = {pk: name for name, pk in self.detectors.items()}
        self.first_evidence: dict[int, int] = {}
        self.first_seen: dict[int, datetime] = {}
        for detector, alerts in sorted(by_detector.items()):
            alerts.sort(key=lambda alert: alert[0])
            for start in range(0, len(alerts), BATCH_SIZE):
                chunk = alerts[start : start + BATCH_SIZE]
                batch = uuid.UUID(int=self.rng.getrandbits(128), version=4)
                received = chunk[-1][0] + timedelta(minutes=5)
                finished = received + timedelta(seconds=10)
                self.tables.add(
                    "ingestion_batch",
                    (
                        batch,
                        detector,
                        b"",
                        "imported",
                        len(chunk),
                        0,
                        len(chunk),
                        0,
                        "[]",
                        received,
                        received,
                        finished,
                        1,
                    ),
                )
                # Per case: the alerts the batch brought it, and the accounts first
                # named (so linked) by one of them (the n-th alert names the n-th account).
                arrivals: dict[int, list[int]] = defaultdict(lambda: [0, 0])
                for observed, case, n, kind in chunk:
                    arrivals[case.id][0] += 1
                    arrivals[case.id][1] += n < len(case.accounts)
                    self.first_seen[case.id] = min(self.first_seen.get(case.id, observed), observed)
                    pk = next(alert_ids)
                    external_id = f"campaign-{pk}"
                    account = self.accounts[case.accounts[n % len(case.accounts)]][0]
                    title = f"{kind} from {account}"
                    severity = "high" if n % 3 else "medium"
                    payload = {
                        "external_id": external_id,
                        "kind": kind,
                        "severity": severity,
                        "observed_at": observed.isoformat(),
                        "accounts": [{"id": account}],
                    }
                    self.tables.add(
                        "ingestion_alert",
                        (
                            pk,
                            batch,
                            detector,
                            external_id,
                            kind,
                            severity,
                            0.8,
                            observed,
                            title,
                            json.dumps(payload),
                            received,
                            "imported",
                            "",
                            case.id,
                            finished,
                        ),
                    )
                    self.tables.add(
                        "ingestion_alertkey",
                        (detector, external_id, pk),
                    )
                    content = f"{title}\n\nJoined this case: it shares a payment fingerprint."
                    evidence = next(evidence_ids)
                    self.first_evidence.setdefault(case.id, evidence)
                    self.add_evidence(
                        evidence,
                        case,
                        "alert",
                        f"Alert {external_id}: {title}",
                        content,
                        {"alert_id": pk, "external_id": external_id, "kind": kind},
                        f"alert:{pk}",
                        names[detector],
                        finished,
                    )
                    if case.id in sampled and n % 50 == 0:
                        text = f"Prompt:\nExplain step by step ({n})\n\nResponse:\n…"
                        self.add_evidence(
                            next(evidence_ids),
                            case,
                            "sample",
                            f"Sample {n} of {external_id}",
                            text,
                            {"alert": external_id},
                            f"alert:{pk}:sample:1",
                            names[detector],
                            finished,
                        )
                    case.alerts += 1
                self.events.append(
                    {
                        "occurred_at": finished,
                        "system": "import",
                        "verb": "batch.imported",
                        "target_type": "ingestion.batch",
                        "target_id": str(batch),
                        "target_repr": str(batch),
                        "case_ids": sorted(arrivals),
                        "after": {
                            "detector": names[detector],
                            "status": "imported",
                            "alerts_imported": len(chunk),
                            "cases_touched": len(arrivals),
                            "arrivals": {str(pk): got for pk, got in sorted(arrivals.items())},
                        },
                    }
                )

    def add_evidence(
        self, pk, case, kind, title, content, data, source, detector, at, person=None
    ) -> None:
        self.tables.add(
            "cases_evidence",
            (
                pk,
                case.id,
                kind,
                title,
                content,
                json.dumps(data),
                source,
                hashlib.sha256(content.encode()).hexdigest(),
                person,
                detector,
                at,
            ),
        )
        case.evidence += 1

    def person_event(self, case: CaseShape, at: datetime, verb: str, actor: int, **fields) -> None:
        event = {
            "occurred_at": at,
            "actor_id": actor,
            "actor_username": self.usernames[actor],
            "verb": verb,
            "target_type": "cases.case",
            "target_id": str(case.id),
            "target_repr": f"#{case.id} {case.title}"[:300],
            "case_ids": [case.id],
            "remote_addr": f"10.20.0.{actor % 250}",
            "request_id": uuid.UUID(int=self.rng.getrandbits(128), version=4).hex,
        }
        event.update(fields)
        self.events.append(event)

    def write_work(self, case: CaseShape, *, notes: int, steps: int) -> None:
        begin = 0.1
        times = sorted(
            self.moment(begin + (1 - begin) * self.rng.random()) for _ in range(notes + steps)
        )
        writers = [*self.people[str(Role.INVESTIGATOR)], *self.people[str(Role.LEAD)]]
        lead = self.person(Role.LEAD)
        self.person_event(
            case,
            self.moment(0.05),
            "case.status_changed",
            lead,
            before={"status": "new"},
            after={"status": "triage"},
        )
        self.person_event(
            case,
            self.moment(0.08),
            "case.status_changed",
            case.assignee,
            before={"status": "triage"},
            after={"status": "investigating"},
        )
        note_ids = iter(self.ids.take("cases_note", notes))
        evidence_needed = sum(
            1 for n in range(steps) if STEPS[n % len(STEPS)][0] == "evidence.added"
        )
        evidence_ids = iter(self.ids.take("cases_evidence", evidence_needed))
        slots = list(range(notes + steps))
        self.rng.shuffle(slots)
        note_slots = set(slots[:notes])
        step = 0
        for slot, at in enumerate(times):
            if slot in note_slots:
                pk = next(note_ids)
                author = writers[slot % len(writers)]
                body = f"Checked the overlap of proxy ASNs and prompt templates ({slot})."
                self.tables.add(
                    "cases_note",
                    (pk, case.id, author, body, at),
                )
                self.person_event(
                    case,
                    at,
                    "note.added",
                    author,
                    target_type="cases.note",
                    target_id=str(pk),
                    target_repr=f"Note by {self.usernames[author]} on case #{case.id}",
                    after={"body": body},
                )
                continue
            verb, role = STEPS[step % len(STEPS)]
            actor = self.person(role, step)
            step += 1
            if verb == "evidence.added":
                pk = next(evidence_ids)
                title = f"Analyst finding {step}"
                self.add_evidence(
                    pk,
                    case,
                    "text",
                    title,
                    f"What the traffic shows ({step}).",
                    {},
                    "",
                    "",
                    at,
                    person=actor,
                )
                self.person_event(
                    case,
                    at,
                    verb,
                    actor,
                    target_type="cases.evidence",
                    target_id=str(pk),
                    target_repr=f"Text: {title}",
                    after={"title": title, "kind": "text"},
                )
            elif verb == "evidence.viewed":
                pk = self.first_evidence[case.id]
                self.person_event(
                    case,
                    at,
                    verb,
                    actor,
                    target_type="cases.evidence",
                    target_id=str(pk),
                    target_repr="Alert evidence",
                )
            elif verb == "case.account_linked":
                account = self.accounts[case.accounts[step % len(case.accounts)]][0]
                self.person_event(
                    case,
                    at,
                    verb,
                    actor,
                    after={"account": account},
                    reason="Same prompt templates",
                )
            elif verb == "case.severity_changed":
                self.person_event(
                    case,
                    at,
                    verb,
                    actor,
                    before={"severity": "high"},
                    after={"severity": case.severity},
                    reason="Breadth confirmed",
                )
            elif verb == "case.attribution_changed":
                self.person_event(
                    case,
                    at,
                    verb,
                    actor,
                    after={"attribution_actor": "Operator A", "confidence": "medium"},
                )
            else:
                self.person_event(
                    case, at, verb, actor, after={"assignee": self.usernames[case.assignee]}
                )

    def write_actions(self, big: CaseShape, small: CaseShape) -> None:
        investigator = self.person(Role.INVESTIGATOR)
        first, second = self.person(Role.LEAD), self.person(Role.LEAD, 1)
        big_accounts = [self.account_pk[i] for i in big.accounts]
        protected = set(self.big_protected)
        asns = [value for _, value in self.pools["asn"]]
        plans = [
            (
                big,
                "suspend_accounts",
                "executed",
                1,
                0.3,
                [("account", pk) for pk in self.big_suspended],
            ),
            (
                big,
                "terminate_accounts",
                "awaiting_second_approval",
                2,
                0.9,
                [("account", pk) for pk in big_accounts],
            ),
            (big, "block_network", "rejected", 1, 0.6, [("asn", value) for value in asns]),
            (
                small,
                "suspend_accounts",
                "proposed",
                1,
                0.95,
                [("account", self.account_pk[i]) for i in small.accounts],
            ),
        ]
        action_ids = iter(self.ids.take("cases_action", len(plans)))
        target_ids = iter(self.ids.take("cases_actiontarget", sum(len(p[5]) for p in plans)))
        external = {
            self.account_pk[i]: self.accounts[i][0] for c in (big, small) for i in c.accounts
        }
        for case, kind, state, approvals, when, targets in plans:
            pk = next(action_ids)
            proposed = self.moment(when)
            decided = proposed + timedelta(hours=2)
            approved = state in ("executed", "awaiting_second_approval")
            self.tables.add(
                "cases_action",
                (
                    pk,
                    case.id,
                    kind,
                    state,
                    "{}",
                    "The network distils the model.",
                    "",
                    approvals,
                    investigator,
                    proposed,
                    first if approved else None,
                    decided if approved else None,
                    second if state == "rejected" else None,
                    decided if state == "rejected" else None,
                    "Blocks honest users too" if state == "rejected" else "",
                    "",
                    decided if state == "executed" else None,
                    decided if state == "executed" else None,
                    "",
                    "",
                    "",
                ),
            )
            for target_type, value in targets:
                account = value if target_type == "account" else None
                excluded = account in protected
                target_state = (
                    "excluded" if excluded else "executed" if state == "executed" else "pending"
                )
                self.tables.add(
                    "cases_actiontarget",
                    (
                        next(target_ids),
                        pk,
                        target_type,
                        external[account] if account else value,
                        account,
                        target_state,
                        excluded,
                        1 if state == "executed" else 0,
                        decided if state == "executed" else None,
                    ),
                )
            target = {
                "target_type": "enforcement.action",
                "target_id": str(pk),
                "target_repr": f"{kind} (#{pk}) on case #{case.id}",
            }
            self.person_event(
                case,
                proposed,
                "action.proposed",
                investigator,
                **target,
                after={"kind": kind, "targets": len(targets)},
            )
            if approved:
                self.person_event(case, decided, "action.approved", first, **target)
            if state == "rejected":
                self.person_event(
                    case,
                    decided,
                    "action.rejected",
                    second,
                    **target,
                    reason="Blocks honest users too",
                )

    def write_relations(self, big: CaseShape, others: list[CaseShape]) -> None:
        related = [*others[3:5], *others[5:15]]
        pairs = [(a.id, b.id) for other in related for a, b in ((big, other), (other, big))]
        pair_ids = iter(self.ids.take("cases_case_related_cases", len(pairs)))
        for a, b in pairs:
            self.tables.add(
                "cases_case_related_cases",
                (next(pair_ids), a, b),
            )
        shared = self.pools["payment"][:5]
        flag_ids = iter(self.ids.take("cases_reviewflag", len(shared)))
        for n, key in enumerate(shared):
            self.tables.add(
                "cases_reviewflag",
                (
                    next(flag_ids),
                    big.id,
                    self.indicator_pk[self.indicators[key]],
                    "worked_cases",
                    "Also on accounts of operator 4",
                    "open",
                    self.moment(0.7 + n / 100),
                ),
            )

    def write_case_rows(self) -> None:
        sla = {"critical": 4, "high": 24, "medium": 72, "low": 168}
        for case in self.cases:
            opened = self.first_seen.get(case.id, self.start)
            worked = case.status == "investigating"
            self.tables.add(
                "cases_case",
                (
                    case.id,
                    case.title,
                    "",
                    case.status,
                    "",
                    case.severity,
                    {"low": 1, "medium": 2, "high": 3, "critical": 4}[case.severity],
                    "",
                    "amber",
                    opened + timedelta(hours=sla[case.severity]),
                    "[]",
                    "",
                    "",
                    "",
                    opened,
                    self.last_activity[case.id],
                    self.last_activity[case.id],
                    self.moment(0.05) if worked else None,
                    case.assignee,
                    len(case.accounts),
                    case.alerts,
                    case.evidence,
                    "",
                    False,
                    1,
                ),
            )
