"""The people, the values and the cases of the campaign: who holds which account,
and which values each account carries."""

from __future__ import annotations

from datetime import timedelta

from bench.page_data.model import COMMON_CAP, KINDS, PEOPLE, STRONG_TYPES, CaseShape
from people.roles import Role


class Network:
    """The builder's accounts and values (``bench.page_data.Builder`` holds the state)."""

    def make_people(self) -> None:
        groups = dict(self.conn.execute("SELECT name, id FROM auth_group").fetchall())
        total = sum(PEOPLE.values())
        user_ids = iter(self.ids.take("auth_user", total))
        link_ids = iter(self.ids.take("auth_user_groups", total))
        self.people: dict[str, list[int]] = {}
        self.usernames: dict[int, str] = {}
        for role, count in PEOPLE.items():
            for n in range(1, count + 1):
                pk = next(user_ids)
                username = f"campaign-{role}-{n}"
                self.people.setdefault(str(role), []).append(pk)
                self.usernames[pk] = username
                self.tables.add(
                    "auth_user",
                    (pk, self.password, False, username, "", "", "", False, True, self.start),
                )
                self.tables.add(
                    "auth_user_groups",
                    (next(link_ids), pk, groups[str(role)]),
                )

    def person(self, role: Role, n: int = 0) -> int:
        ids = self.people[str(role)]
        return ids[n % len(ids)]

    def make_detectors(self) -> None:
        names = sorted(set(KINDS.values()))
        self.detectors = dict(
            zip(names, self.ids.take("ingestion_detector", len(names)), strict=True)
        )
        for name, pk in self.detectors.items():
            self.tables.add(
                "ingestion_detector",
                (pk, name, "", True, 0, self.now, self.start),
            )

    def make_pools(self) -> dict[str, list[tuple[str, str]]]:
        """The campaign's shared weak values, and the big case's strong ones."""
        total = self.sizes.indicators
        asns = max(1, min(6, total // 100))
        agents = max(2, min(40, total // 50))
        domains = max(1, min(10, total // 200))
        payment = max(1, total // 12)
        devices = max(1, total // 40)
        clusters = 3
        ips = total - asns - agents - domains - payment - devices - clusters
        pools = {
            "asn": [("asn", f"AS{64500 + n}") for n in range(asns)],
            "user_agent": [
                ("user_agent", f"Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/{120 + n}.0")
                for n in range(agents)
            ],
            "email_domain": [("email_domain", f"mail{n}.example") for n in range(domains)],
            # The big case's IPs, then as many again that only others use.
            "ip": [
                ("ip", f"100.{64 + n // 65536}.{n // 256 % 256}.{n % 256}") for n in range(2 * ips)
            ],
            "big_ip": ips,
            "payment": [("payment_fingerprint", f"pf_big_{n:05d}") for n in range(payment)],
            "device": [("device_fingerprint", f"dev_big_{n:05d}") for n in range(devices)],
            "cluster": [("prompt_cluster", f"pc-big-{n}") for n in range(clusters)],
        }
        return pools

    def weak_values(self, n: int, *, ips: list[tuple[str, str]]) -> list[tuple[str, str]]:
        """A proxy's ASN and a browser's user agent at random, the ``n``-th mail domain."""
        pools = self.pools
        pick = self.rng.randrange
        return [
            pools["asn"][pick(len(pools["asn"]))],
            pools["user_agent"][pick(len(pools["user_agent"]))],
            pools["email_domain"][n % len(pools["email_domain"])],
            *ips,
        ]

    def new_case(self, title: str, **fields) -> CaseShape:
        return CaseShape(id=-1, title=title, **fields)

    def add_accounts(
        self, case: CaseShape, values_of, count: int, *, prefix: str, fresh: bool
    ) -> None:
        """``count`` accounts on ``case``, each linked to ``values_of(n)``."""
        for n in range(count):
            values = list(dict.fromkeys(values_of(n)))
            created = (
                self.moment(self.rng.random() * 0.9)
                if fresh
                else self.start - timedelta(days=self.rng.randrange(400, 3000))
            )
            payment = next((v for t, v in values if t == "payment_fingerprint"), "")
            domain = next((v for t, v in values if t == "email_domain"), "")
            case.accounts.append(len(self.accounts))
            self.accounts.append((f"{prefix}_{n:06d}", created, payment, domain, values))

    def make_big_case(self) -> CaseShape:
        pools = self.pools
        case = self.new_case(
            "Distillation network: chain-of-thought elicitation through residential proxies",
            severity="critical",
            status="investigating",
            assignee=self.person(Role.INVESTIGATOR),
        )
        ips = pools["ip"][: pools["big_ip"]]

        def values(n: int) -> list[tuple[str, str]]:
            chosen = [
                pools["payment"][n % len(pools["payment"])],
                pools["cluster"][n % len(pools["cluster"])],
                pools["asn"][n % len(pools["asn"])],
                pools["user_agent"][n % len(pools["user_agent"])],
                pools["email_domain"][n % len(pools["email_domain"])],
                ips[(2 * n) % len(ips)],
                ips[(2 * n + 1) % len(ips)],
            ]
            if n % 3 == 0:
                chosen.append(pools["device"][n // 3 % len(pools["device"])])
            return chosen

        self.add_accounts(case, values, self.sizes.accounts, prefix="acct_big", fresh=True)
        return case

    def make_small_case(self) -> CaseShape:
        pools = self.pools
        case = self.new_case(
            "Small cluster sharing one card",
            severity="high",
            status="investigating",
            assignee=self.person(Role.INVESTIGATOR),
        )
        shared = pools["ip"][pools["big_ip"] :]

        def values(n: int) -> list[tuple[str, str]]:
            own = [("payment_fingerprint", "pf_small_0"), ("prompt_cluster", "pc-small-0")]
            if n % 2 == 0:
                own.append(("device_fingerprint", "dev_small_0"))
            ips = [shared[n % len(shared)], shared[(n + 7) % len(shared)], pools["ip"][n]]
            return own + self.weak_values(n, ips=ips)

        self.add_accounts(case, values, self.sizes.small_accounts, prefix="acct_small", fresh=True)
        return case

    def make_other_cases(self, big: CaseShape) -> list[CaseShape]:
        sizes = self.sizes
        pools = self.pools
        cases = []
        operator = sizes.accounts
        for number in range(1, 6):
            operator = max(40 if number == 5 else 1, operator // 4)
            case = self.new_case(f"Operator {number}: distillation accounts", severity="high")
            cards = max(1, operator // 150)

            def values(n: int, number=number, cards=cards) -> list[tuple[str, str]]:
                own = [
                    ("payment_fingerprint", f"pf_op{number}_{n % cards:04d}"),
                    ("prompt_cluster", f"pc-op{number}"),
                ]
                # The two smallest operators bought a few of the big network's cards.
                if number >= 4 and n < 5:
                    own.append(pools["payment"][n % len(pools["payment"])])
                ips = [pools["ip"][self.rng.randrange(len(pools["ip"]))] for _ in range(2)]
                return own + self.weak_values(n, ips=ips)

            self.add_accounts(case, values, operator, prefix=f"acct_op{number}", fresh=True)
            cases.append(case)
        for number in range(max(0, sizes.other_cases - len(cases))):
            case = self.new_case(f"Heavy use by customer {number}", severity="low")
            members = 1 if number % 5 else 1 + number % 3

            def values(n: int, number=number) -> list[tuple[str, str]]:
                own = [("payment_fingerprint", f"pf_honest_{number:06d}_{n}")]
                ip = pools["ip"][self.rng.randrange(len(pools["ip"]))]
                return own + self.weak_values(number, ips=[ip])

            self.add_accounts(
                case, values, members, prefix=f"acct_honest_{number:06d}", fresh=False
            )
            cases.append(case)
        return cases

    def write_cases(self, cases: list[CaseShape]) -> None:
        case_ids = iter(self.ids.take("cases_case", len(cases)))
        for case in cases:
            case.id = next(case_ids)
        account_ids = list(self.ids.take("cases_account", len(self.accounts)))
        link_ids = iter(self.ids.take("cases_caseaccount", len(self.accounts)))
        n_links = sum(len(values) for *_, values in self.accounts)
        value_links = iter(self.ids.take("cases_accountindicator", n_links))
        big = cases[0]
        protected_every = max(50, len(big.accounts) // 20)
        suspended = len(big.accounts) // 10
        self.big_suspended = [account_ids[i] for i in big.accounts[:suspended]]
        self.big_protected = []
        for case in cases:
            for position, index in enumerate(case.accounts):
                external_id, created, payment, domain, values = self.accounts[index]
                pk = account_ids[index]
                protected = case is big and position % protected_every == protected_every - 1
                if protected:
                    self.big_protected.append(pk)
                self.tables.add(
                    "cases_account",
                    (
                        pk,
                        external_id,
                        "org_research_lab" if protected else "",
                        domain,
                        "NL",
                        created,
                        payment,
                        protected,
                        "Research programme partner" if protected else "",
                        "suspended" if case is big and position < suspended else "none",
                        created,
                        self.now,
                    ),
                )
                by_person = case is big and position % 200 == 199
                self.tables.add(
                    "cases_caseaccount",
                    (
                        next(link_ids),
                        case.id,
                        pk,
                        "Same operator: shared prompt templates"
                        if by_person
                        else f"shares payment fingerprint {payment}"
                        if payment
                        else "named by the alert",
                        self.person(Role.INVESTIGATOR, position) if by_person else None,
                        "" if by_person else "campaign-account-clustering",
                        created + timedelta(days=1),
                    ),
                )
                for type_, value in values:
                    indicator = self.indicator(type_, value)
                    self.indicator_accounts[indicator] += 1
                    self.tables.add(
                        "cases_accountindicator",
                        (next(value_links), pk, indicator, created, self.now),
                    )
        self.account_pk = account_ids
        self.cases = cases

    def write_indicators(self) -> None:
        """The values, with their counters; links were written with provisional ids."""
        ids = list(self.ids.take("cases_indicator", len(self.indicators)))
        self.indicator_pk = ids
        for (type_, value), index in self.indicators.items():
            count = self.indicator_accounts[index]
            strong = type_ in STRONG_TYPES
            self.tables.add(
                "cases_indicator",
                (
                    ids[index],
                    type_,
                    value,
                    self.start,
                    self.now,
                    not strong and count > COMMON_CAP,
                    count if strong else min(count, COMMON_CAP),
                ),
            )
        # The links named indicators by their position; now by their ids.
        links = self.tables.rows["cases_accountindicator"]
        self.tables.rows["cases_accountindicator"] = [
            (pk, account, ids[indicator], first, last)
            for pk, account, indicator, first, last in links
        ]
        # Strong values are the cases' correlation keys, as the import records them.
        keys: set[tuple[int, int]] = set()
        for case in self.cases:
            for index in case.accounts:
                for type_, value in self.accounts[index][4]:
                    if type_ in STRONG_TYPES:
                        keys.add((case.id, ids[self.indicators[(type_, value)]]))
        key_ids = iter(self.ids.take("ingestion_correlationkey", len(keys)))
        for case_id, indicator in sorted(keys):
            self.tables.add(
                "ingestion_correlationkey",
                (
                    next(key_ids),
                    f"indicator:{indicator}",
                    case_id,
                    indicator,
                    f"indicator #{indicator}",
                    self.start,
                ),
            )
