"""Per-user limit on new ratings, error reports and suggestions, counted
in Redis per clock hour."""
from __future__ import annotations

import datetime
import logging
from typing import Optional

from flask import has_request_context

import ckan.plugins.toolkit as tk
from ckan.lib.redis import connect_to_redis

log = logging.getLogger(__name__)

# Attribute of flask.g holding the RateLimited error of the current request,
# which the blueprint's after_app_request hook turns into a 429.
ERROR_ATTRIBUTE = "tjportal_feedback_rate_limit_error"

# Counters expire one hour after their hour ends.
KEY_TTL_SECONDS = 2 * 3600


class RateLimited(tk.NotAuthorized):
    """A user has submitted too much in the current hour.

    A NotAuthorized, so CKAN's Action API view returns 403 instead of a 500;
    the blueprint's after_app_request hook makes that 403 a 429, as the
    developer plugin does with its QuotaExceeded.
    """

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


def key_prefix() -> str:
    return ":".join([tk.config["ckan.site_id"], "tjportal_feedback", "new"])


def consume(user_id: str, now: Optional[datetime.datetime] = None) -> None:
    """Count one new submission of the user, or raise RateLimited."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    hour = now.replace(minute=0, second=0, microsecond=0)
    key = ":".join([key_prefix(), user_id, hour.strftime("%Y%m%d%H")])
    limit = tk.config.get("ckanext.tjportal.feedback.max_per_hour")

    redis = connect_to_redis()
    with redis.pipeline() as pipe:
        pipe.incr(key)
        pipe.expire(key, KEY_TTL_SECONDS)
        count = int(pipe.execute()[0])
    if count <= limit:
        return

    # Refused submissions do not count, so the user can submit again as
    # soon as the hour is over.
    redis.decr(key)
    retry_after = max(1, int((hour + datetime.timedelta(hours=1) - now).total_seconds()))
    message = tk._(
        "You have submitted {limit} ratings, error reports or suggestions in "
        "the last hour, the most allowed. Try again in {minutes} minutes."
    ).format(limit=limit, minutes=(retry_after + 59) // 60)
    log.info("Refused a submission of user %s over the hourly limit of %d", user_id, limit)
    error = RateLimited(message, retry_after)
    if has_request_context():
        setattr(tk.g, ERROR_ATTRIBUTE, error)
    raise error


def request_rate_limit_error() -> Optional[RateLimited]:
    """Return the RateLimited error raised during the current request, if any."""
    return getattr(tk.g, ERROR_ATTRIBUTE, None)
