"""A realistic data set for the benchmark, written fast into a fresh PostgreSQL database.

Accounts are signed up through the real domain service (user, account, owner,
subscription, first billing period, audit), so billing's tables stay consistent; the
bulk — teammates, dossiers, entries with their revisions, shares, assignments — goes in
with COPY. Full scale: 2 measured accounts (20,000 and 1,000 dossiers) plus 200 small
ones; 31,000 dossiers and 200,000 entries in all."""
from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import asyncpg

from domain.dossiers.finding import search_text

PASSWORD = "bench password 2026"
WORDS = ("client reports better sleep since the new evening routine; appetite stable, mood "
         "improving; agreed to keep the food diary and to walk twenty minutes after lunch; "
         "next session in two weeks, bring the measurements and the questions about protein "
         "intake; family support is good; no new medication; goals reviewed together").split()


@dataclass
class Scale:
    big_dossiers: int = 20_000
    big_entries_each: int = 5
    mid_dossiers: int = 1_000
    mid_entries_each: int = 10
    small_accounts: int = 200
    small_dossiers_each: int = 50
    small_entries_each: int = 9
    teammates_each: int = 3
    shares_every: int = 4          # one share for every n-th dossier

    def times(self, factor: int) -> "Scale":
        """`factor` times the data: the measured accounts and the crowd around them."""
        return Scale(big_dossiers=self.big_dossiers * factor, big_entries_each=self.big_entries_each,
                     mid_dossiers=self.mid_dossiers * factor, mid_entries_each=self.mid_entries_each,
                     small_accounts=self.small_accounts * factor, small_dossiers_each=self.small_dossiers_each,
                     small_entries_each=self.small_entries_each, teammates_each=self.teammates_each,
                     shares_every=self.shares_every)

    @classmethod
    def quick(cls) -> "Scale":
        return cls(big_dossiers=1_000, big_entries_each=5, mid_dossiers=100, mid_entries_each=5,
                   small_accounts=10, small_dossiers_each=20, small_entries_each=5)


@dataclass
class Seeded:
    big: dict            # {"email", "account_id", "dossier_ids"}
    mid: dict
    small: list[dict] = field(default_factory=list)
    counts: dict = field(default_factory=dict)
    seconds: float = 0.0


# Client names as a Dutch or German practice has them, accents included, for the search
# figures (D7): 78 first names x 105 surnames; one "Zoë Brontë" planted per account.
FIRST = ("Anna Bram Cees Daan Emma Fleur Gijs Hanna Iris Jan Kees Lotte Maud Noah Olga Pieter Quinten Roos Sanne "
         "Tim Urša Vera Wim Xander Yara Zeynep Émile Łukasz Søren Renée Jürgen Ayşe Ömer Chloé Björn Agnès Zoë "
         "Mila Sem Julia Luuk Tess Finn Sara Lars Nina Bas Eva Thijs Lieke Jesse Femke Ruben Isa Milan Lisa Stijn "
         "Amber Koen Noor Joris Fenna Mees Julia Hugo Esmée Teun Sophie Levi Yasmin Sven Nadia Mohamed Fatima "
         "Youssef Ilse Dirk Marloes").split()
LAST = ("Jansen,de Vries,van den Berg,Bakker,Visser,Smit,Meijer,de Boer,Mulder,de Groot,Bos,Vos,Peters,Hendriks,"
        "van Leeuwen,Dekker,Brouwer,de Wit,Dijkstra,Smits,de Graaf,van der Meer,van der Linden,Kok,Jacobs,de Haan,"
        "Vermeulen,van den Heuvel,van der Veen,van den Broek,de Bruijn,van der Heijden,Schouten,van Beek,Willems,"
        "van Vliet,van de Ven,Hoekstra,Maas,Verhoeven,Koster,van Dam,van der Wal,Prins,Blom,Huisman,Peeters,"
        "Müller,Schäfer,Köhler,Weiß,Groß,Krüger,Öztürk,Yılmaz,Şahin,Çelik,Doğan,Kılıç,Nowak,Wiśniewski,Dąbrowski,"
        "Łukaszewicz,Novák,Dvořák,Černý,Procházka,Horváth,Nagy,Kovács,Tóth,Szabó,Jørgensen,Sørensen,Østergaard,"
        "Lefèvre,Bénard,Gérard,Núñez,Peña,Muñoz,García,Pérez,Sánchez,Fernández,González,Rodríguez,López,"
        "Martínez,O'Brien,Ó Súilleabháin,MacLeòid,Ólafsdóttir,Guðmundsson,Þórsson,El Amrani,Bouzid,Aydın,"
        "Kaya,Demir,Rossi,Russo,Ferrari,Esposito,Bianchi").split(",")


def _client_name(rng: random.Random, d: int, count: int) -> str:
    if d == count // 2:
        return "Zoë Brontë"
    return f"{rng.choice(FIRST)} {rng.choice(LAST)}"


def _body(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(25, 60)))


async def _sign_up_accounts(database_url: str, emails: list[str]) -> list[dict]:
    """Owners with accounts and UNLIMITED subscriptions (no A3 refusals while measuring)."""
    from domain.identity.passwords import hash_password
    from domain.team import sign_up as signing_up
    from domain.accounts.models import Membership, User
    from domain.billing.catalog import load_catalog
    from infra.db import close_db, init_db
    from infra.settings import load_settings

    settings = load_settings({"DATABASE_URL": database_url, "JWT_SECRET": "x" * 40,
                              "DATABASE_POOL_SIZE": "4"}, env_file=None)
    catalog = load_catalog(None)
    password_hash = hash_password(PASSWORD)  # one argon2 hash, shared: hashing is slow on purpose
    now = datetime.now(timezone.utc)
    await init_db(settings)
    try:
        owners = []
        for index, email in enumerate(emails):
            request = signing_up.SignUpRequest(email=email, name=f"Owner {index}", account_name=f"Practice {index}",
                                             seats=20, tier="UNLIMITED")
            user = await signing_up.sign_up(signing_up.check_sign_up(request, catalog), password_hash, catalog, now=now,
                                          settings=settings, security_now=now)
            membership = await Membership.get(user_id=user.id)
            owners.append({"email": email, "user_id": user.id, "account_id": membership.account_id,
                           "membership_id": membership.id})
        assert await User.all().count() == len(emails)
        return owners
    finally:
        await close_db()


class _Ids:
    def __init__(self) -> None:
        self.next: dict[str, int] = {}

    def take(self, table: str) -> int:
        value = self.next.get(table, 1_000_000)
        self.next[table] = value + 1
        return value


async def _copy(conn: asyncpg.Connection, table: str, columns: list[str], rows: list[tuple]) -> None:
    if rows:
        await conn.copy_records_to_table(table, records=rows, columns=columns)


async def _check_columns(conn: asyncpg.Connection, supplied: dict[str, list[str]]) -> None:
    """Fail clearly when a table gained a required column this seeder does not fill."""
    for table, columns in supplied.items():
        missing = await conn.fetch(
            "SELECT column_name FROM information_schema.columns WHERE table_name = $1 "
            "AND is_nullable = 'NO' AND column_default IS NULL AND NOT (column_name = ANY($2::text[]))",
            table, columns)
        if missing:
            raise RuntimeError(f"bench/seed.py does not fill {table}.{', '.join(r[0] for r in missing)}")


COLUMNS = {
    "user": ["id", "email", "name", "password_hash", "token_version", "is_operator", "created_at"],
    "membership": ["id", "account_id", "user_id", "role", "created_at"],
    "dossier": ["id", "account_id", "client_name", "reference", "search_text", "share_count", "created_at",
                "updated_at"],
    "entry": ["id", "account_id", "dossier_id", "kind", "current_version", "created_at"],
    "entry_revision": ["id", "account_id", "entry_id", "version", "body", "author_user_id", "author_email", "written_at"],
    "share": ["id", "account_id", "dossier_id", "email", "access", "status", "created_by_user_id", "created_at"],
    "guest_quota": ["id", "email", "held"],
    "dossier_assignment": ["id", "account_id", "dossier_id", "membership_id", "created_at"],
}


async def seed(database_url: str, scale: Scale, *, log=print) -> Seeded:  # noqa: ANN001 - log: a print
    started = time.perf_counter()
    rng = random.Random(2026)
    plan = [("big", scale.big_dossiers, scale.big_entries_each), ("mid", scale.mid_dossiers, scale.mid_entries_each)]
    plan += [(f"small{n}", scale.small_dossiers_each, scale.small_entries_each) for n in range(scale.small_accounts)]
    owners = await _sign_up_accounts(database_url, [f"{name}@bench.example.org" for name, _, _ in plan])
    log(f"  signed up {len(owners)} accounts ({time.perf_counter() - started:.1f}s)")
    conn = await asyncpg.connect(database_url.replace("postgres://", "postgresql://", 1))
    try:
        await _check_columns(conn, COLUMNS)
        ids, now = _Ids(), datetime.now(timezone.utc)
        password_hash = await conn.fetchval('SELECT password_hash FROM "user" LIMIT 1')
        rows: dict[str, list[tuple]] = {table: [] for table in COLUMNS}
        result = Seeded(big={}, mid={})
        for (name, dossier_count, entries_each), owner in zip(plan, owners):
            account_id = owner["account_id"]
            memberships = [owner["membership_id"]]
            for mate in range(scale.teammates_each):
                user_id, membership_id = ids.take("user"), ids.take("membership")
                rows["user"].append((user_id, f"{name}-mate{mate}@bench.example.org", f"Mate {mate}",
                                     password_hash, 1, False, now))
                rows["membership"].append((membership_id, account_id, user_id, "MEMBER", now))
                memberships.append(membership_id)
            dossier_ids = []
            for d in range(dossier_count):
                dossier_id = ids.take("dossier")
                dossier_ids.append(dossier_id)
                shared = d % scale.shares_every == 0
                client, reference = _client_name(rng, d, dossier_count), f"REF-{d}"
                rows["dossier"].append((dossier_id, account_id, client, reference, search_text(client, reference),
                                        1 if shared else 0, now, now))
                rows["dossier_assignment"].append((ids.take("dossier_assignment"), account_id, dossier_id,
                                                   memberships[1 + d % scale.teammates_each], now))
                if shared:
                    email = f"guest-{dossier_id}@bench.example.org"
                    rows["share"].append((ids.take("share"), account_id, dossier_id, email, "VIEWER",
                                          "PENDING", owner["user_id"], now))
                    rows["guest_quota"].append((ids.take("guest_quota"), email, 1))
                for e in range(entries_each):
                    entry_id, written = ids.take("entry"), now - timedelta(days=entries_each - e)
                    rows["entry"].append((entry_id, account_id, dossier_id, "NOTE", 1, written))
                    rows["entry_revision"].append((ids.take("entry_revision"), account_id, entry_id, 1,
                                                   _body(rng), owner["user_id"], owner["email"], written))
            record = {**owner, "dossier_ids": dossier_ids}
            if name == "big":
                result.big = record
            elif name == "mid":
                result.mid = record
            else:
                result.small.append(record)
        # The search keys' trigger (migration 0027) would insert a dossier's keys row by
        # row, at random places in their index: one sorted insert of them all is minutes
        # faster at ten times the data, and yields the same rows.
        await conn.execute('ALTER TABLE "dossier" DISABLE TRIGGER "dossier_search_keys_on_insert"')
        for table, columns in COLUMNS.items():
            await _copy(conn, table, columns, rows[table])
            await conn.execute(f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                               f"(SELECT MAX(id) FROM \"{table}\"))")
        await conn.execute('INSERT INTO "dossier_search_key" ("account_id", "key", "client_name", "dossier_id") '
                           'SELECT d."account_id", found.key, d."client_name", d."id" FROM "dossier" d, '
                           'casebook_search_keys(d."search_text") AS found(key) ORDER BY 1, 2, 3, 4 '
                           'ON CONFLICT DO NOTHING')
        await conn.execute('ALTER TABLE "dossier" ENABLE TRIGGER "dossier_search_keys_on_insert"')
        # What a database in service did long before anyone measures it: statistics, hint
        # bits and visibility map set (VACUUM), the bulk load written out (CHECKPOINT).
        # Else the first minutes after loading millions of rows measure the loading.
        await conn.execute("VACUUM (ANALYZE)")
        try:
            await conn.execute("CHECKPOINT")
        except asyncpg.InsufficientPrivilegeError:
            pass  # a role without the right: the checkpoint comes on its own schedule
        result.counts = {table: await conn.fetchval(f'SELECT COUNT(*) FROM "{table}"')
                         for table in ("account", "user", "dossier", "entry", "entry_revision", "share")}
    finally:
        await conn.close()
    result.seconds = time.perf_counter() - started
    log(f"  seeded {result.counts} in {result.seconds:.1f}s")
    return result


if __name__ == "__main__":
    import sys

    asyncio.run(seed(sys.argv[1], Scale.quick()))
