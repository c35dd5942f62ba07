"""Who is acting, and what their role lets them do with a correction (README, "Corrections and audit").

The acting user is `NORTHSTAR_USER` (set by the deployment from the signed-in identity in production), else the
operating system's user; it is recorded with every audit entry. Roles come from the settings:
`NORTHSTAR_REQUESTERS` may request (unset: anyone), `NORTHSTAR_APPROVERS` may approve and reject, and applying
needs `NORTHSTAR_REQUIRED_APPROVALS` approvals from approvers other than the requester (segregation of duties).
"""

from __future__ import annotations

from northstar.settings import Settings


class NotPermitted(ValueError):
    """The acting user's role does not allow the action; the message names the user and the setting."""


def current_user(settings: Settings) -> str:
    """The acting user's name (NORTHSTAR_USER, else the OS user)."""
    return settings.user


def require_requester(settings: Settings) -> str:
    """The acting user when they may request corrections; NotPermitted otherwise."""
    user = current_user(settings)
    if settings.requesters is not None and user not in settings.requesters:
        raise NotPermitted(
            f"{user} may not request corrections: not in NORTHSTAR_REQUESTERS ({', '.join(settings.requesters)})"
        )
    return user


def require_approver(settings: Settings, requested_by: str) -> str:
    """The acting user when they may approve (or reject) a request by `requested_by`; NotPermitted otherwise."""
    user = current_user(settings)
    if user not in settings.approvers:
        listed = ", ".join(settings.approvers) or "nobody: it is unset"
        raise NotPermitted(f"{user} may not approve corrections: not in NORTHSTAR_APPROVERS ({listed})")
    if user == requested_by:
        raise NotPermitted(f"{user} requested this correction and may not approve it (segregation of duties)")
    return user


def require_applier(settings: Settings) -> str:
    """The acting user when they may apply an approved correction (an approver, or a user who may request);
    NotPermitted otherwise."""
    user = current_user(settings)
    may_request = settings.requesters is None or user in settings.requesters
    if user not in settings.approvers and not may_request:
        raise NotPermitted(f"{user} may not apply corrections: in neither NORTHSTAR_APPROVERS nor NORTHSTAR_REQUESTERS")
    return user
