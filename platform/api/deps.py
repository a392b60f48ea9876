"""Dependencies shared by the routes: a pooled connection, the signed-in user, permissions."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Annotated

import psycopg
from fastapi import Depends, HTTPException, Request, status
from psycopg_pool import ConnectionPool
from starlette.concurrency import run_in_threadpool

from tilsyn.platform.auth.roles import CAN
from tilsyn.platform.auth.store import User, session_user

SESSION_COOKIE = "tilsyn_session"


def _connection(request: Request) -> Iterator[psycopg.Connection]:
    pool: ConnectionPool = request.app.state.pool
    with pool.connection() as conn:
        try:
            yield conn
        except psycopg.DataError as error:
            if not _unstorable_input(error):
                raise
            detail = f"a value cannot be stored or searched: {_first_line(error)}"
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail) from error


def _unstorable_input(error: psycopg.DataError) -> bool:
    """What a client sent that PostgreSQL cannot hold: a NUL byte in text (psycopg refuses it
    before sending, with the bare DataError) or in JSON (`\u0000`, refused by the server, say
    in an audit record's detail), or a number outside the column's range."""
    return type(error) is psycopg.DataError or isinstance(
        error, psycopg.errors.NumericValueOutOfRange | psycopg.errors.UntranslatableCharacter
    )


def _first_line(error: psycopg.Error) -> str:
    return (error.diag.message_primary or str(error)).splitlines()[0]


# Ended (committed) before the answer goes out, not after: a client that signs in and asks at
# once must find its session stored, and one that saves and reads back must read what it saved.
Db = Annotated[psycopg.Connection, Depends(_connection, scope="function")]


def session_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return request.cookies.get(SESSION_COOKIE)


def _signed_in_user(request: Request, db: Db) -> User:
    token = session_token(request)
    user = session_user(db, token) if token else None
    if user is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, "sign in first", headers={"WWW-Authenticate": "Bearer"}
        )
    return user


# Anyone signed in, one-time password or not: only for saying who she is, and for choosing
# her own password.
SignedInUser = Annotated[User, Depends(_signed_in_user)]

PASSWORD_FIRST = "choose a new password first: the one you signed in with was set by an admin"


def _current_user(user: SignedInUser) -> User:
    """A user who may work: one signed in with a password an admin set (and so knows) may do
    nothing else until she has chosen her own."""
    if user.must_change_password:
        raise HTTPException(status.HTTP_403_FORBIDDEN, PASSWORD_FIRST)
    return user


CurrentUser = Annotated[User, Depends(_current_user)]


class SessionWatch:
    """For a live stream, which outlives the request that checked the session: is the session
    that opened it still good (not signed out, expired, nor its user made inactive)? Looked up
    at most every `every_s` seconds, so a frequent stream costs few queries."""

    def __init__(self, request: Request, every_s: float = 0.0) -> None:
        self._pool: ConnectionPool = request.app.state.pool
        self._token = session_token(request)
        self._every_s = every_s
        self._checked_at = time.monotonic()

    async def ended(self, at_once: bool = False) -> bool:
        """`at_once`: look now, however recently it was looked at (before sending health
        data)."""
        if not at_once and time.monotonic() - self._checked_at < self._every_s:
            return False
        self._checked_at = time.monotonic()
        return not await run_in_threadpool(self._still_signed_in)

    def _still_signed_in(self) -> bool:
        if not self._token:
            return False
        with self._pool.connection() as conn:
            user = session_user(conn, self._token)
        return user is not None and not user.must_change_password


def allowed(capability: str) -> Callable[[User], User]:
    """A dependency that lets through only roles granted `capability`."""
    roles = CAN[capability]

    def check(user: CurrentUser) -> User:
        if user.role not in roles:
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                f"the {user.role} role may not {capability.replace('_', ' ')}",
            )
        return user

    return check
