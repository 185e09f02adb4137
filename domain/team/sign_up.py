"""Creating accounts: a new user becomes the owner of a new account with its subscription."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tortoise.exceptions import IntegrityError

from domain.identity.addresses import mail_verification
from domain.identity.passwords import hash_password_off_loop
from domain.identity.sessions import SessionGrant, issue_session
from domain.accounts.locale import check_country, check_locale, choose_locale
from domain.accounts.models import Account, Membership, User
from domain.audit.service import AuditAction, record
from domain.billing.catalog import Catalog
from domain.billing.subscriptions import check_choice, open_subscription
from domain.core import account_clock
from domain.core.actor import Role
from infra.clock import local_date
from infra.db import transaction
from domain.core.errors import DomainError, ErrorCode
from infra.settings import Settings
from domain.core.validation import MAX_NAME, check_password, check_time_zone, clean_name, normalize_email
from domain.billing.invoices.profiles import start_profile

DEFAULT_TIME_ZONE = "Europe/Amsterdam"


@dataclass(frozen=True)
class SignUpRequest:
    email: str
    name: str
    account_name: str
    time_zone: str | None = None
    plan: str | None = None
    term: str | None = None
    seats: int | None = None
    tier: str | None = None
    # L1: the account's language is `locale`, else the best of the request's
    # Accept-Language, else the language of `country` (ISO 3166 alpha-2), else EN.
    locale: str | None = None
    country: str | None = None
    accept_language: str | None = None


@dataclass(frozen=True)
class CheckedSignUp:
    email: str
    name: str
    account_name: str
    time_zone: str
    request: SignUpRequest
    locale: str = "EN"
    country: str | None = None


class EmailTaken(DomainError):
    code = ErrorCode.ALREADY_EXISTS

    def __init__(self) -> None:
        super().__init__("This email cannot sign up again; log in instead.", field=("email",))


def check_sign_up(request: SignUpRequest, catalog: Catalog) -> CheckedSignUp:
    """Validate everything before the (slow) password hash and the transaction."""
    checked = CheckedSignUp(
        email=normalize_email(request.email),
        name=clean_name(request.name, field="name", max_length=MAX_NAME),
        account_name=clean_name(request.account_name, field="accountName", max_length=MAX_NAME),
        time_zone=check_time_zone(request.time_zone) if request.time_zone else DEFAULT_TIME_ZONE,
        request=request,
        locale=choose_locale(check_locale(request.locale), request.accept_language,
                             check_country(request.country)),
        country=check_country(request.country),
    )
    check_choice(catalog, plan=request.plan, term=request.term, seats=request.seats, tier=request.tier)
    return checked


async def sign_up_and_sign_in(request: SignUpRequest, password: str, catalog: Catalog, *, now: datetime,
                              settings: Settings, security_now: datetime, test_clock: bool = False,
                              client: str | None = None) -> tuple[User, SessionGrant]:
    """Signing up signs the person in: the account and the first session are one unit of
    work, so a failed sign-in leaves no account behind and a made account always has its
    session. Everything is checked first, then the password hashed off the event loop,
    before the transaction (argon2 is slow on purpose)."""
    checked = check_sign_up(request, catalog)
    check_password(password)
    password_hash = await hash_password_off_loop(password)
    try:
        async with transaction():
            user = await _open_account(checked, password_hash, catalog, now=now, settings=settings,
                                       security_now=security_now, test_clock=test_clock)
            return user, await issue_session(user, settings=settings, security_now=security_now, client=client)
    except IntegrityError:
        # Two sign-ups with one email raced; the unique index let one through.
        raise EmailTaken() from None


async def sign_up(checked: CheckedSignUp, password_hash: str, catalog: Catalog, *, now: datetime,
                  settings: Settings, security_now: datetime, test_clock: bool = False) -> User:
    """An account without a session (the benchmark's seeding signs up hundreds with one
    hash)."""
    try:
        async with transaction():
            return await _open_account(checked, password_hash, catalog, now=now, settings=settings,
                                       security_now=security_now, test_clock=test_clock)
    except IntegrityError:
        raise EmailTaken() from None


async def _open_account(checked: CheckedSignUp, password_hash: str, catalog: Catalog, *, now: datetime,
                        settings: Settings, security_now: datetime, test_clock: bool) -> User:
    """User + account + owner membership + subscription + the mail that proves the
    address (I1), inside the caller's transaction. The person can use their own account
    at once; only what reaches them through their address waits for the proof. With
    `test_clock` (a business time was sent, outside production) the account starts its
    test clock at `now` (O4)."""
    if await User.exists(email=checked.email):
        raise EmailTaken()
    user = await User.create(email=checked.email, name=checked.name,
                             password_hash=password_hash, created_at=now)
    account = await Account.create(name=checked.account_name, time_zone=checked.time_zone,
                                   currency=catalog.currency, locale=checked.locale, created_at=now)
    await Membership.create(account=account, user=user, role=Role.OWNER.value, created_at=now)
    if test_clock:
        await account_clock.move_forward(account.id, now)
    # B1: before the first period, whose invoice is addressed to it.
    await start_profile(account, user.email, country=checked.country, now=now)
    request = checked.request
    await open_subscription(catalog, account.id, today=local_date(now, account.time_zone), now=now,
                            plan=request.plan, term=request.term, seats=request.seats, tier=request.tier)
    await record(AuditAction.SIGN_UP, now=now, account_id=account.id, actor_user_id=user.id,
                 subject=f"user:{user.id}")
    await mail_verification(user, settings, security_now=security_now)
    return user
