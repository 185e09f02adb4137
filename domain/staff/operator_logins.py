"""Making a person an operator (`casebook create-operator EMAIL`, P3).

Operators are staff with a login of their own: their sessions carry `billing:operate`
only. A teammate or share holder is refused, because an operator session replaces the
person's paid or guest access (and an operator must never read dossier content); staff
use a separate address for operating."""
from __future__ import annotations

from datetime import datetime

from domain.accounts.models import Membership, User
from domain.audit.service import AuditAction, record
from infra.db import transaction
from domain.core.errors import InvalidInput
from domain.core.validation import MAX_NAME, clean_name, normalize_email
from domain.shares.models import Share


async def make_operator(email: str, *, name: str | None, password_hash: str, replace_password: bool,
                        now: datetime) -> tuple[User, bool, bool]:
    """Create the operator, or mark an existing user as one. A new user gets
    `password_hash`; an existing one keeps theirs unless `replace_password`. Every
    earlier token of the user stops working. Returns (user, created, password_set)."""
    address = normalize_email(email)
    display = clean_name(name, field="name", max_length=MAX_NAME) if name else address.split("@")[0]
    async with transaction():
        user = await User.get_or_none(email=address)
        created = password_set = user is None
        if user is None:
            # The deployer names the address: it counts as proven (I1).
            user = await User.create(email=address, name=display, password_hash=password_hash,
                                     is_operator=True, created_at=now, email_verified_at=now)
        else:
            if await Membership.exists(user_id=user.id):
                raise InvalidInput(f"{address} is a teammate of an account; operators need an address of their own.")
            if await Share.filter(user_id=user.id, revoked_at__isnull=True).exists():
                raise InvalidInput(f"{address} holds dossier shares; operators need an address of their own.")
            user.is_operator = True
            user.token_version += 1
            if replace_password or user.password_hash is None:
                user.password_hash, password_set = password_hash, True
            await user.save()
        await record(AuditAction.OPERATOR_ACTION, now=now, actor_user_id=user.id, subject=f"user:{user.id}",
                     detail={"action": "create_operator" if created else "mark_operator"})
        return user, created, password_set
