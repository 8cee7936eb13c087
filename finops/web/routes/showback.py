"""Showback on the team page: members (admins), the team's channels (admins and the team's managers), and
downloads of its issued statements (anyone who sees the team), through ``finops.showback`` as the CLI does."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request, status
from fastapi.responses import RedirectResponse, Response

from finops.web.actions import perform
from finops.web.csrf import CsrfDep
from finops.web.security import ManagerDep, TeamManagerDep, TeamReaderDep

showback_router = APIRouter(tags=["FinOps showback"])

#: The issued statement is a standalone page with its own inline print styles and no script.
STATEMENT_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'; "
                 "base-uri 'none'; form-action 'none'")


@showback_router.post("/teams/{team_id}/members", dependencies=[CsrfDep], response_class=RedirectResponse,
                      status_code=303)
def add_member(
    request: Request,
    team_id: str,
    access: ManagerDep,
    username: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "reader",
) -> RedirectResponse:
    """Make an Airflow user a reader or manager of the team (or change its role); audited as ``member.add``."""
    from finops.showback.members import add_member as add

    username = username.strip()

    def operation() -> str:
        member, previous = add(team_id, username, access.actor, role=role)
        if previous == member.role:
            return f"{member.username} is already a {member.role} of team {team_id}."
        if previous:
            return f"{member.username} is now a {member.role} of team {team_id} (was {previous})."
        return f"{member.username} is now a {member.role} of team {team_id}."

    return perform(request, "member", team_id, {"username": username, "role": role}, operation)


@showback_router.post("/teams/{team_id}/members/remove", dependencies=[CsrfDep], response_class=RedirectResponse,
                      status_code=303)
def remove_member(request: Request, team_id: str, access: ManagerDep,
                  username: Annotated[str, Form()] = "") -> RedirectResponse:
    """End a user's membership of the team; audited as ``member.remove``."""
    from finops.showback.members import remove_member as remove

    def operation() -> str:
        removed = remove(team_id, username, access.actor)
        return f"{removed.username} is no longer a member of team {team_id}."

    return perform(request, "remove_member", team_id, {}, operation)


@showback_router.post("/teams/{team_id}/channels", dependencies=[CsrfDep], response_class=RedirectResponse,
                      status_code=303)
def set_channels(
    request: Request,
    team_id: str,
    access: TeamManagerDep,
    email: Annotated[str, Form()] = "",
    slack_conn: Annotated[str, Form()] = "",
    webhook_conn: Annotated[str, Form()] = "",
) -> RedirectResponse:
    """Set the team's e-mail recipients, Slack and webhook connection ids (an empty field clears one); audited."""
    from finops.showback.channels import set_channels as store

    values = {"email": email, "slack_conn": slack_conn, "webhook_conn": webhook_conn}

    def operation() -> str:
        found = store(team_id, access.actor, email=email.strip(), slack_conn=slack_conn.strip(),
                      webhook_conn=webhook_conn.strip())
        return f"Team {team_id}'s channels are now: {found.describe()}."

    return perform(request, "channels", team_id, values, operation)


@showback_router.get("/teams/{team_id}/statements/{month}/{file_name}", name="statement_file")
def statement_file(team_id: str, month: str, file_name: str, access: TeamReaderDep) -> Response:
    """An issued statement's HTML or CSV (every version), read from where it was published; 404 when none."""
    from finops.showback.downloads import statement_file as read
    from finops.showback.errors import StatementFileMissing

    try:
        found = read(team_id, month, file_name)
    except StatementFileMissing as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None
    headers = {"content-security-policy": STATEMENT_CSP}
    if found.kind == "csv":
        headers["content-disposition"] = f'attachment; filename="{found.name}"'
    return Response(found.data, media_type=found.media_type, headers=headers)
