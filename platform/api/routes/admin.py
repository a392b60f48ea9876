"""Administration: users, webhooks and the audit log of patient-data reads.

Every change an administrator makes to an account or a webhook is in the audit log too, with
no patient: who gave a nurse's account a new password, who made an account, who sent alerts to
a new address. A password an admin sets is a one-time password: signed in with it, the user
may do nothing but choose her own, so a password the admin knows opens no patient's data.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Annotated, Any, Literal

import psycopg
from fastapi import APIRouter, Depends, HTTPException, Query, status
from pydantic import AfterValidator, BaseModel, Field

from tilsyn.platform.alerts.webhook_urls import check_webhook_url
from tilsyn.platform.api.deps import Db, allowed
from tilsyn.platform.auth.roles import Role
from tilsyn.platform.auth.store import User, audit, change_account, create_user, list_accounts

router = APIRouter(prefix="/api/admin", tags=["admin"])
UserAdmin = Annotated[User, Depends(allowed("manage_users"))]
HookAdmin = Annotated[User, Depends(allowed("manage_webhooks"))]
Audience = Literal["operator", "home_care", "night_nurse", "infection_control"]
Auditor = Annotated[User, Depends(allowed("read_audit_log"))]


class UserIn(BaseModel):
    username: str = Field(pattern=r"^[a-z0-9._-]{2,64}$")
    display_name: str = ""
    role: Role
    password: str = Field(
        min_length=12, max_length=1024, description="one-time: replaced at the first sign-in"
    )


class AuditEntry(BaseModel):
    at: datetime
    username: str
    role: str
    action: str
    patient_id: str | None
    detail: dict[str, Any]


@router.post("/users", status_code=status.HTTP_201_CREATED)
def add_user(body: UserIn, db: Db, admin: UserAdmin) -> dict[str, str]:
    try:
        create_user(db, body.username, body.role, body.password, body.display_name, temporary=True)
    except psycopg.errors.UniqueViolation as error:
        raise HTTPException(status.HTTP_409_CONFLICT, f"{body.username} exists") from error
    audit(db, admin, "user_created", None, {"user": body.username, "user_role": body.role})
    return {"username": body.username, "role": body.role}


class Account(BaseModel):
    username: str
    display_name: str
    role: str
    active: bool
    open_sessions: int
    must_change_password: bool = Field(description="has not yet replaced a one-time password")
    one_time_password_expires_at: datetime | None = Field(
        description="when the one-time password stops working if unused; null: none"
    )


class AccountChange(BaseModel):
    active: bool | None = None
    password: str | None = Field(
        None, min_length=12, max_length=1024, description="one-time: replaced at the next sign-in"
    )


@router.get("/users", response_model=list[Account])
def users(db: Db, _: UserAdmin) -> list[Account]:
    return [Account(**vars(account)) for account in list_accounts(db)]


@router.patch("/users/{username}", response_model=Account)
def change_user(username: str, body: AccountChange, db: Db, admin: UserAdmin) -> Account:
    """Deactivate or reactivate a user, or give a new one-time password; the user's sessions
    end, live streams included."""
    if body.active is None and body.password is None:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "nothing to change")
    if username == admin.username and body.active is False:
        raise HTTPException(status.HTTP_409_CONFLICT, "you cannot deactivate yourself")
    if not change_account(db, username, body.active, body.password):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no user {username}")
    changes: dict[str, Any] = {"user": username, "password_set": body.password is not None}
    if body.active is not None:
        changes["active"] = body.active
    audit(db, admin, "user_changed", None, changes)
    (changed,) = [a for a in list_accounts(db) if a.username == username]
    return Account(**vars(changed))


@router.get("/audit", response_model=list[AuditEntry])
def audit_log(
    db: Db, _: Auditor, patient_id: str | None = None, limit: int = Query(200, ge=1, le=5000)
) -> list[AuditEntry]:
    rows = db.execute(
        "SELECT at, username, role, action, patient_id, detail FROM audit_log"
        " WHERE %s::text IS NULL OR patient_id = %s ORDER BY id DESC LIMIT %s",
        (patient_id, patient_id, limit),
    ).fetchall()
    return [
        AuditEntry(at=r[0], username=r[1], role=r[2], action=r[3], patient_id=r[4], detail=r[5])
        for r in rows
    ]


class WebhookIn(BaseModel):
    url: Annotated[str, AfterValidator(check_webhook_url)]
    audiences: list[Audience] = Field(min_length=1)


class Webhook(BaseModel):
    webhook_id: int
    url: str
    audiences: list[str]
    active: bool
    secret: str | None = Field(None, description="shown once, when the webhook is made")
    # How its deliveries go: a receiver that stopped answering shows here, not only in a log.
    undelivered: int = 0
    last_error: str | None = Field(None, description="why the latest failed attempt failed")
    failing_since: datetime | None = Field(
        None, description="the oldest notification still waiting for this receiver"
    )
    next_attempt_at: datetime | None = None
    last_delivered_at: datetime | None = None


@router.post("/webhooks", status_code=status.HTTP_201_CREATED, response_model=Webhook)
def add_webhook(body: WebhookIn, db: Db, admin: HookAdmin) -> Webhook:
    """Alert notifications for the audiences, POSTed with an HMAC-SHA256 signature (the secret
    is returned now and never again)."""
    secret = secrets.token_urlsafe(32)
    row = db.execute(
        "INSERT INTO webhooks (url, secret, audiences) VALUES (%s, %s, %s) RETURNING webhook_id",
        (body.url, secret, list(body.audiences)),
    ).fetchone()
    assert row is not None
    detail = {"webhook_id": row[0], "url": body.url, "audiences": list(body.audiences)}
    audit(db, admin, "webhook_added", None, detail)
    return Webhook(
        webhook_id=row[0], url=body.url, audiences=list(body.audiences), active=True, secret=secret
    )


@router.get("/webhooks", response_model=list[Webhook])
def webhooks(db: Db, _: HookAdmin) -> list[Webhook]:
    rows = db.execute(
        """SELECT w.webhook_id, w.url, w.audiences, w.active,
                  count(d.outbox_id) FILTER (WHERE d.delivered_at IS NULL),
                  (SELECT d2.last_error FROM webhook_deliveries d2
                   WHERE d2.webhook_id = w.webhook_id AND d2.delivered_at IS NULL
                     AND d2.last_error IS NOT NULL
                   ORDER BY d2.attempts DESC, d2.outbox_id DESC LIMIT 1),
                  min(o.created_at) FILTER (WHERE d.delivered_at IS NULL),
                  min(d.next_attempt_at) FILTER (WHERE d.delivered_at IS NULL),
                  max(d.delivered_at)
           FROM webhooks w
           LEFT JOIN webhook_deliveries d ON d.webhook_id = w.webhook_id
           LEFT JOIN notification_outbox o ON o.id = d.outbox_id
           GROUP BY w.webhook_id ORDER BY 1"""
    )
    return [
        Webhook(
            webhook_id=r[0],
            url=r[1],
            audiences=r[2],
            active=r[3],
            undelivered=r[4],
            last_error=r[5],
            failing_since=r[6] if r[5] else None,
            next_attempt_at=r[7],
            last_delivered_at=r[8],
        )
        for r in rows
    ]
