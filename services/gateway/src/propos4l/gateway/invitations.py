"""Invitations: an admin invites an e-mail with a role; the link's random secret (256 bits, only its SHA-256 kept)
works once, until it expires; accepting it makes the account with the password the person chose. The link is shown
to the admin and, when SMTP_URL is set, e-mailed."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import smtplib
import ssl
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

import asyncpg

from propos4l.gateway.roles import Role

__all__ = ["Invitation", "InvitationStore", "send_invitation"]


def _digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


@dataclass(frozen=True, slots=True)
class Invitation:
    """An invitation (never its secret)."""

    id: uuid.UUID
    email: str
    display_name: str
    role: Role
    expires_at: datetime


class InvitationStore:
    """The invitations table."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def create(
        self, email: str, display_name: str, role: Role, *, invited_by: str, lifetime: timedelta
    ) -> tuple[Invitation, str]:
        """A new invitation and the secret of its link (shown once)."""
        secret = secrets.token_urlsafe(32)
        row = await self._pool.fetchrow(
            """INSERT INTO invitations (id, email, display_name, role, secret_sha256, invited_by, expires_at)
               VALUES ($1, $2, $3, $4, $5, $6, now() + $7::interval)
               RETURNING id, email, display_name, role, expires_at""",
            uuid.uuid4(),
            email.strip(),
            display_name.strip(),
            role.value,
            _digest(secret),
            invited_by,
            lifetime,
        )
        assert row is not None
        return Invitation(row["id"], row["email"], row["display_name"], Role(row["role"]), row["expires_at"]), secret

    async def take(self, secret: str, connection: asyncpg.Connection) -> Invitation | None:
        """Use the invitation of this secret (inside `connection`'s transaction): None if unknown, used or expired."""
        row = await connection.fetchrow(
            """UPDATE invitations SET used_at = now()
               WHERE secret_sha256 = $1 AND used_at IS NULL AND expires_at > now()
               RETURNING id, email, display_name, role, expires_at""",
            _digest(secret),
        )
        if row is None:
            return None
        return Invitation(row["id"], row["email"], row["display_name"], Role(row["role"]), row["expires_at"])


def _send(smtp_url: str, sender: str, to: str, subject: str, body: str) -> None:
    url = urlsplit(smtp_url)
    port = url.port or (465 if url.scheme == "smtps" else 25)
    context = ssl.create_default_context()
    smtp: smtplib.SMTP = (
        smtplib.SMTP_SSL(url.hostname or "localhost", port, timeout=10, context=context)
        if url.scheme == "smtps"
        else smtplib.SMTP(url.hostname or "localhost", port, timeout=10)
    )
    with smtp:
        if url.scheme == "smtp+starttls":
            smtp.starttls(context=context)
        if url.username:
            smtp.login(unquote(url.username), unquote(url.password or ""))
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = sender, to, subject
        message.set_content(body)
        smtp.send_message(message)


async def send_invitation(smtp_url: str, sender: str, invitation: Invitation, link: str) -> None:
    """E-mail the invitation's link (in a thread: smtplib blocks)."""
    body = (
        f"Olá, {invitation.display_name}!\n\nVocê foi convidado(a) para o Propos4l ({invitation.role.value}). "
        f"Crie sua senha em:\n{link}\n\nO link vale uma vez, até {invitation.expires_at:%Y-%m-%d %H:%M} UTC.\n\n"
        f"You were invited to Propos4l ({invitation.role.value}). Choose your password at the link above; it works "
        "once, until the time shown.\n"
    )
    await asyncio.to_thread(_send, smtp_url, sender, invitation.email, "Convite para o Propos4l / Invitation", body)
