"""Sign-in, sign-out and choosing one's own password. Failed attempts are rate limited per
user name and client address, a wrong current password at a change as a failed sign-in.

The screens sign in at `/login`: the session token travels only in an HttpOnly cookie, so no
script on a page can read it. API clients (scripts, integrations) sign in at `/token` and get
the token in the answer, to send as a bearer header; no cookie is set there.

A user who signed in with a one-time password (one an admin set) gets a session that may only
say who she is, choose her own password and sign out (`deps.CurrentUser` refuses the rest).
"""

from __future__ import annotations

from typing import Self

from fastapi import APIRouter, HTTPException, Request, Response, status
from pydantic import BaseModel, Field, model_validator

from tilsyn.platform.api.deps import SESSION_COOKIE, Db, SignedInUser, session_token
from tilsyn.platform.auth.limits import Key, SignInLimiter
from tilsyn.platform.auth.roles import AUDIENCES, Role
from tilsyn.platform.auth.store import (
    SESSION_LIFETIME,
    OneTimePasswordExpired,
    User,
    audit,
    authenticate,
    change_own_password,
    end_session,
    start_session,
)

router = APIRouter(prefix="/api/auth", tags=["auth"])

_limiter = SignInLimiter()
EXPIRED = "this one-time password has expired: ask an administrator for a new one"


class Credentials(BaseModel):
    username: str = Field(max_length=64)
    password: str = Field(max_length=1024)


class Me(BaseModel):
    username: str
    display_name: str
    role: Role
    alert_audiences: list[str]
    must_change_password: bool = Field(
        description="signed in with a one-time password: choose a new one before anything else"
    )


class ApiToken(Me):
    token: str = Field(description="send as `Authorization: Bearer <token>`; 12 h lifetime")


class PasswordChange(BaseModel):
    current_password: str = Field(max_length=1024)
    new_password: str = Field(min_length=12, max_length=1024)  # as an admin's must be

    @model_validator(mode="after")
    def _a_new_one(self) -> Self:
        if self.new_password == self.current_password:
            raise ValueError("the new password must differ from the current one")
        return self


def _limit_key(username: str, request: Request) -> Key:
    return (username, request.client.host if request.client else "")


def _admit(key: Key) -> None:
    if not _limiter.admit(key):
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS, "too many failed sign-ins; wait a few minutes"
        )


@router.post("/login", response_model=Me)
def login(body: Credentials, request: Request, response: Response, db: Db) -> Me:
    """Sign in for the screens: the session is in the cookie set here, never in the answer."""
    user, token = _sign_in(body, request, db)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",  # behind the TLS proxy: never sent in clear
        max_age=int(SESSION_LIFETIME.total_seconds()),
    )
    return _me(user)


@router.post("/token", response_model=ApiToken)
def api_token(body: Credentials, request: Request, db: Db) -> ApiToken:
    """Sign in for an API client: the session token is in the answer, for a bearer header."""
    user, token = _sign_in(body, request, db)
    return ApiToken(token=token, **_me(user).model_dump())


def _sign_in(body: Credentials, request: Request, db: Db) -> tuple[User, str]:
    key = _limit_key(body.username, request)
    _admit(key)
    try:
        user = authenticate(db, body.username, body.password)
    except OneTimePasswordExpired as expired:
        _limiter.succeeded(key)  # the password was right: no guess to slow down
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, EXPIRED) from expired
    if user is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "wrong user name or password")
    _limiter.succeeded(key)
    return user, start_session(db, user)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(request: Request, response: Response, db: Db) -> None:
    token = session_token(request)
    if token:
        end_session(db, token)
    response.delete_cookie(SESSION_COOKIE)


@router.get("/me", response_model=Me)
def me(user: SignedInUser) -> Me:
    return _me(user)


@router.post("/password", status_code=status.HTTP_204_NO_CONTENT)
def change_password(body: PasswordChange, request: Request, db: Db, user: SignedInUser) -> None:
    """Choose one's own password: required after signing in with a one-time password, allowed
    any time. The user's other sessions end; this one goes on."""
    # Counted with the sign-ins: a stolen session is no way to guess the password faster.
    key = _limit_key(user.username, request)
    _admit(key)
    try:
        known = authenticate(db, user.username, body.current_password)
    except OneTimePasswordExpired as expired:
        _limiter.succeeded(key)
        raise HTTPException(status.HTTP_403_FORBIDDEN, EXPIRED) from expired
    if known is None:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "the current password is wrong")
    _limiter.succeeded(key)
    token = session_token(request)
    assert token is not None  # SignedInUser found the session by it
    change_own_password(db, user, body.new_password, token)
    audit(db, user, "password_changed", None, {"was_one_time": user.must_change_password})


def _me(user: User) -> Me:
    return Me(
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        alert_audiences=list(AUDIENCES[user.role]),
        must_change_password=user.must_change_password,
    )
