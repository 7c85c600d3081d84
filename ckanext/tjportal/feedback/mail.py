"""E-mails to the people who submitted feedback, sent through CKAN's mailer.

The mails are plain text, so the users' words cannot become markup.
"""
from __future__ import annotations

import logging
from typing import Any

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.lib import mailer

log = logging.getLogger(__name__)


def notify_user(user_id: str, subject: str, lines: list[str]) -> bool:
    """Send a plain-text mail to a user; return whether it was sent.

    A failed mail is logged and does not undo the change it reports.
    """
    user = model.User.get(user_id)
    if user is None or not user.email:
        log.info("User %s has no e-mail address, so no feedback mail was sent", user_id)
        return False
    try:
        mailer.mail_user(user, subject, "\n\n".join(lines))
    except mailer.MailerException:
        log.exception("Sending the feedback mail %r to user %s failed", subject, user_id)
        return False
    return True


def report_changed(report: dict[str, Any]) -> bool:
    """Tell the reporter the new state of an error report."""
    subject = tk._("Your error report on {title} is now {state}").format(
        title=report["package_title"], state=report["state_label"]
    )
    lines = [
        tk._("Your error report on {title} is now {state}.").format(
            title=report["package_title"], state=report["state_label"]
        ),
        tk._("Your description: {text}").format(text=report["description"]),
    ]
    if report.get("reason"):
        lines.append(tk._("Reason: {text}").format(text=report["reason"]))
    if report.get("reply"):
        lines.append(tk._("Reply: {text}").format(text=report["reply"]))
    lines.append(tk._("See all your error reports at {url}").format(
        url=tk.url_for("tjportal_feedback.report_mine", _external=True)
    ))
    return notify_user(report["user_id"], subject, lines)
