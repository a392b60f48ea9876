"""Sign-in and sign-out. Failed attempts are rate limited per user name and client address."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, Response, status
from pydantic import BaseModel, Field

from tilsyn.platform.api.deps import SESSION_COOKIE, CurrentUser, Db, session_token
from tilsyn.platform.auth.limits import SignInLimiter
from tilsyn.platform.auth.roles import AUDIENCES, Role
from tilsyn.platform.auth.store import SESSION_LIFETIME, authenticate, end_session, start_session

router = APIRouter(prefix="/api/auth", tags=["auth"])

_limiter = SignInLimiter()


class Credentials(BaseModel):
    username: str = Field(max_length=64)
    password: str = Field(max_length=1024)


class Me(BaseModel):
    username: str
    display_name: str
    role: Role
    alert_audiences: list[str]


class SignedIn(Me):
    token: str


@router.post("/login", response_model=SignedIn)
def login(body: Credentials, request: Request, response: Response, db: Db) -> SignedIn:
    key = (body.username, request.client.host if request.client else "")
    if not _limiter.admit(key):
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS, "too many failed sign-ins; wait a few minutes"
        )
    user = authenticate(db, body.username, body.password)
    if user is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "wrong user name or password")
    _limiter.succeeded(key)
    token = start_session(db, user)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",  # behind the TLS proxy: never sent in clear
        max_age=int(SESSION_LIFETIME.total_seconds()),
    )
    return SignedIn(token=token, **_me(user).model_dump())


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(request: Request, response: Response, db: Db) -> None:
    token = session_token(request)
    if token:
        end_session(db, token)
    response.delete_cookie(SESSION_COOKIE)


@router.get("/me", response_model=Me)
def me(user: CurrentUser) -> Me:
    return _me(user)


def _me(user: CurrentUser) -> Me:
    return Me(
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        alert_audiences=list(AUDIENCES[user.role]),
    )
