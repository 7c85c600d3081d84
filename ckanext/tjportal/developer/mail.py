"""E-mails to applicants about decisions on their access applications."""
from __future__ import annotations

import logging
from typing import Any

from markupsafe import escape

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.lib import mailer

log = logging.getLogger(__name__)


def _lines(application: dict[str, Any]) -> list[str]:
    lines = [
        tk._("Dataset: {title}").format(title=application["package_title"] or application["package_name"]),
        tk._("Resources: {names}").format(
            names=", ".join(resource["name"] or resource["id"] for resource in application["resources"])),
        tk._("Period: {start} to {end}").format(start=application["start_date"], end=application["end_date"]),
    ]
    if application["state"] == "approved":
        lines.append(tk._(
            "Your application was approved. Your developer token and account can use "
            "these resources until the end of the period."))
    else:
        lines.append(tk._("Your application was rejected. Reason: {reason}").format(
            reason=application["reject_reason"]))
    lines.append(tk._("Follow your applications at {url}").format(
        url=tk.url_for("tjportal_developer.mine", _external=True)))
    return lines


def send_decision(application: dict[str, Any]) -> None:
    """E-mail the applicant the decision on an application.

    A failed delivery is logged and does not undo the decision, which the
    我的申请 page also shows to the applicant.
    """
    user = model.User.get(application["user_id"])
    if user is None or not user.email:
        log.warning("Applicant of access application %s has no e-mail address", application["id"])
        return
    if application["state"] == "approved":
        subject = tk._("Access application approved: {title}")
    else:
        subject = tk._("Access application rejected: {title}")
    subject = subject.format(title=application["package_title"] or application["package_name"])
    lines = _lines(application)
    body = "\n\n".join(lines)
    # The HTML part escapes every line because titles, resource names and the
    # reason are user text.
    body_html = "".join("<p>{}</p>".format(escape(line)) for line in lines)
    try:
        mailer.mail_user(user, subject, body, body_html=body_html)
    except mailer.MailerException:
        log.exception("Sending the decision on access application %s failed", application["id"])
