"""The small HTML pages an organizer sees during the connect flow.

Every page is self-contained (no scripts, images or outside resources), escapes whatever
it shows and never shows a token, code or state. ``refusal_page`` explains each
:class:`calsync.organizers.flow_outcomes.FlowRefused` code in words a person can act on::

    html = success_page("connect", "acme", "alice@acme.com")
    html = refusal_page("wrong_account", missing=[])
"""

from __future__ import annotations

from html import escape

from calsync.organizers.oauth_flow import SCOPE_DESCRIPTIONS

__all__ = ["REFUSALS", "confirm_disconnect_page", "page", "refusal_page", "success_page"]

REFUSALS: dict[str, tuple[str, str]] = {
    "invalid_state": (
        "This sign-in link has expired or was already used",
        "Links to connect Google Calendar work once and for 10 minutes. "
        "Go back to the event form and start again.",
    ),
    "browser_mismatch": (
        "This sign-in was started in another browser",
        "For your safety, a calendar connection can only be finished in the browser that "
        "started it, and nothing was changed. If you meant to do this, start again from the "
        "event form in this browser. If you did not start it, someone may have sent you "
        "this link: you can ignore it.",
    ),
    "hop_used": (
        "This link was already opened in another browser",
        "A calendar connection link works in one browser only, and nothing was changed. "
        "Start again from the event form.",
    ),
    "cross_site_request": (
        "This request did not come from calendar sync",
        "Nothing was changed. To disconnect your calendar, open the disconnect link again "
        "and press the button on that page.",
    ),
    "unknown_tenant": (
        "Unknown organization",
        "This link does not belong to an organization that uses calendar sync. "
        "Start again from the event form.",
    ),
    "foreign_organizer": (
        "This address cannot be connected",
        "Only organizers with an address in the organization's own Google Workspace domains "
        "can connect their calendar.",
    ),
    "access_denied": (
        "Access was not granted",
        "Google reports that access was declined, so nothing was connected. "
        "Start again and choose Allow to connect your calendar.",
    ),
    "invalid_request": ("Something went wrong", "Google did not send a sign-in result."),
    "exchange_failed": (
        "Google did not complete the sign-in",
        "Nothing was connected. Please start again from the event form.",
    ),
    "invalid_id_token": (
        "Google's answer could not be verified",
        "Nothing was connected. Please start again from the event form.",
    ),
    "unverified_email": (
        "Your email address is not verified",
        "Google has not verified the email address of this account, so it cannot be "
        "connected. Ask your Google Workspace administrator.",
    ),
    "wrong_account": (
        "You signed in with a different Google account",
        "This connection is for another organizer. Sign in with the organizer's own "
        "work account and try again. Nothing was connected.",
    ),
    "foreign_domain": (
        "This Google account is not managed by your organization",
        "Sign in with your work account from your organization's Google Workspace. "
        "Nothing was connected.",
    ),
    "missing_scopes": (
        "Some permissions were not granted",
        "Calendar sync needs every permission on Google's consent screen. Nothing was "
        "connected; start again and leave these boxes ticked:",
    ),
    "no_refresh_token": (
        "Google did not grant offline access",
        "Nothing was connected. Please start again from the event form.",
    ),
}

_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;"
    "color:#202124;line-height:1.5}h1{font-size:1.4rem}.ok{color:#137333}.no{color:#a50e0e}"
    "button{font-size:1rem;padding:.5rem 1rem}"
)


def page(title: str, body_html: str, tone: str = "ok") -> str:
    """A complete page; ``body_html`` must already be escaped."""
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f'<body><h1 class="{tone}">{escape(title)}</h1>{body_html}</body></html>'
    )


def success_page(purpose: str, tenant_id: str, organizer: str) -> str:
    """What the organizer sees when the flow worked."""
    who = f"<strong>{escape(organizer)}</strong>"
    if purpose == "disconnect":
        return page(
            "Google Calendar disconnected",
            f"<p>Calendar sync no longer acts for {who} (organization "
            f"<strong>{escape(tenant_id)}</strong>), and its access was revoked at Google.</p>"
            "<p>You can close this tab.</p>",
        )
    return page(
        "Google Calendar connected",
        f"<p>Events you organize will now be created in the calendar of {who} "
        f"(organization <strong>{escape(tenant_id)}</strong>).</p><p>You can close this tab.</p>",
    )


def refusal_page(code: str, missing: list[str] | None = None) -> str:
    """What the organizer sees when the flow was refused (``code`` from FlowRefused)."""
    title, text = REFUSALS.get(code, ("Something went wrong", "Please start again."))
    body = f"<p>{escape(text)}</p>"
    if missing:
        items = "".join(
            f"<li>{escape(SCOPE_DESCRIPTIONS.get(scope, scope))}</li>" for scope in missing
        )
        body += f"<ul>{items}</ul>"
    return page(title, body, tone="no")


def confirm_disconnect_page(tenant_id: str, organizer: str, action: str) -> str:
    """Asks the organizer to confirm; the button signs them in at Google to prove who they are."""
    return page(
        "Disconnect Google Calendar?",
        f"<p>Calendar sync will stop acting for <strong>{escape(organizer)}</strong> "
        f"(organization <strong>{escape(tenant_id)}</strong>) and revoke its access at Google. "
        "You will be asked to sign in with that account to confirm.</p>"
        f'<form method="post" action="{escape(action)}"><button type="submit">'
        "Disconnect</button></form>",
        tone="no",
    )
