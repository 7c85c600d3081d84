"""Metering of DataStore calls on data services: who must present a developer
token, daily quotas in Redis and usage counters buffered in Redis.

Which calls are metered: calls of ``datastore_search`` and
``datastore_search_sql`` made through the Action API (the API view puts
``api_version`` into the context) that read a resource of a ``dataservice``
dataset, and DataStore dumps (``/datastore/dump/<id>``) of such resources,
each counted as one call. Calls on resources of conditionally open datasets
(``open_condition`` is ``conditional``) of either type are metered as well,
and need an approved access application (see ``access``). Internal calls,
such as the first rows the portal shows on a data service's page, are not
metered.

Who is exempt: sysadmins, and editors and admins of the organization (部门)
that owns the data service, on that department's own resources. They publish
and maintain the data, so they need neither a developer token nor a quota
there. Plain members of the organization are metered like anyone else.
"""
from __future__ import annotations

import dataclasses
import datetime
import logging
import uuid
from typing import Any, Optional, Union
from zoneinfo import ZoneInfo

from flask import has_request_context
from redis import Redis
from redis.commands.core import Script
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.lib import api_token
from ckan.lib.redis import connect_to_redis
from ckan.types import Context

from ckanext.datastore.backend import DatastoreBackend

from ckanext.tjportal.developer import access
from ckanext.tjportal.developer import model as developer_model
from ckanext.tjportal.developer.logic.lookup import context_user
from ckanext.tjportal.developer.model import Developer, DeveloperUsage

log = logging.getLogger(__name__)

DATASERVICE_TYPE = "dataservice"

# Context key of the Meter that the chained datastore actions hand to the
# chained auth functions, which see the resource ids after validation.
METER_CONTEXT_KEY = "tjportal_developer_meter"

# Context key set by the test console (在线测试) of the API page. The console
# runs as the logged-in user, whose request carries no developer token, so
# the developer is found from the user's own registration and its current
# token instead of from the request header. Only server code can set it,
# because the Action API view builds its context itself.
CONSOLE_CONTEXT_KEY = "tjportal_developer_console"

# Attribute of flask.g holding the RateLimit of the current request, turned
# into response headers by the blueprint's after_app_request hook.
RATE_LIMIT_ATTRIBUTE = "tjportal_developer_rate_limit"

# Quota keys expire one day after their day ends.
QUOTA_KEY_TTL_SECONDS = 2 * 24 * 3600

# Lifetime of a cached token check (see _token_developer). Revoking a token
# through CKAN's api_token_revoke action, which the portal's own revocations
# use too, deletes the cached check at once. The lifetime only limits how
# long a token deleted some other way (directly in the database) still works.
TOKEN_CACHE_SECONDS = 60


class QuotaExceeded(tk.NotAuthorized):
    """A developer has used up the daily quota.

    It subclasses NotAuthorized because CKAN's Action API view turns any
    exception it does not know into a 500 with a logged traceback. As a
    NotAuthorized it becomes a 403, which the blueprint's after_app_request
    hook turns into a 429 with Retry-After. Internal callers that only know
    NotAuthorized still treat it as a refusal.
    """

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclasses.dataclass(frozen=True)
class DeveloperRef:
    """The ids of the developer a metered call is counted for."""

    id: str
    user_id: str


@dataclasses.dataclass
class RateLimit:
    """State of one developer's daily quota after the current call."""

    limit: int
    remaining: int
    reset: int  # Unix time (seconds) of the next midnight in the quota time zone
    retry_after: Optional[int] = None  # seconds; set only when the call was refused
    message: str = ""  # why the call was refused


def _redis() -> Redis:
    return connect_to_redis()


def _key(*parts: str) -> str:
    # Several CKAN sites may share one Redis database, so keys start with
    # the site id as core's own Redis keys do.
    return ":".join([tk.config["ckan.site_id"], "tjportal_developer", *parts])


def _timezone() -> ZoneInfo:
    return ZoneInfo(tk.config.get("ckanext.tjportal.developer.timezone"))


def quota_day(now: Optional[datetime.datetime] = None) -> datetime.date:
    """Return the current day in the quota time zone."""
    return (now or datetime.datetime.now(datetime.timezone.utc)).astimezone(_timezone()).date()


def _next_reset(day: datetime.date) -> datetime.datetime:
    midnight = datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time(), _timezone())
    return midnight.astimezone(datetime.timezone.utc)


def daily_quota() -> int:
    return tk.config.get("ckanext.tjportal.developer.daily_quota")


def _quota_key(developer_id: str, day: datetime.date) -> str:
    return _key("quota", developer_id, day.strftime("%Y%m%d"))


def calls_today(developer_id: str) -> int:
    """Return the number of metered calls the developer made today."""
    value = _redis().get(_quota_key(developer_id, quota_day()))
    return int(value or 0)


# --- who is metered ----------------------------------------------------------


def _register_url() -> str:
    return tk.url_for("tjportal_developer.register", _external=True)


def _mine_url() -> str:
    return tk.url_for("tjportal_developer.mine", _external=True)


def _token_required() -> bool:
    return tk.config.get("ckanext.tjportal.dataservice.require_token")


def active_resource(resource_id: str) -> Optional[tuple[model.Resource, model.Package]]:
    """Return the active resource with this id or DataStore alias and its
    dataset, or None."""
    resource = model.Resource.get(resource_id)
    if resource is None:
        # The dump view receives what the user typed, which may be an alias.
        exists, real_id = DatastoreBackend.get_active_backend().resource_id_from_alias(resource_id)
        resource = model.Resource.get(real_id) if exists and real_id else None
    if resource is None or resource.state != "active" or resource.package is None:
        return None
    return resource, resource.package


def _request_token_id() -> str:
    """Return the id of the API token in the request header, or raise
    NotAuthorized saying what to do."""
    header = tk.config["apitoken_header_name"]
    raw_token = tk.request.headers.get(header, "").strip()
    if not raw_token:
        raise tk.NotAuthorized(
            tk._("This data service requires a developer API token. Register as "
                 "a developer at {url}, then send your token in the {header} header.")
            .format(url=_register_url(), header=header)
        )

    data = api_token.decode(raw_token)
    token_id = (data or {}).get("jti")
    if not token_id:
        raise tk.NotAuthorized(
            tk._("The API token in the {header} header is malformed. Copy it again "
                 "from {url}.").format(header=header, url=_mine_url())
        )
    return token_id


def _token_developer(user: Optional[model.User], token_id: str) -> DeveloperRef:
    """Return the approved developer whose portal token authenticated this
    request, or raise NotAuthorized saying what to do.

    A successful check is cached in Redis by token id for
    TOKEN_CACHE_SECONDS, which saves a database query on later calls.
    """
    header = tk.config["apitoken_header_name"]
    if user is not None:
        cached = _cached_token_owner(token_id)
        if cached is not None and cached.user_id == user.id:
            return cached

    # One query finds the developer and checks that the token still exists.
    # The other look-ups run only to choose the message of a refusal.
    developer = _developer_with_token(token_id)
    if developer is not None and user is not None and developer.user_id == user.id:
        if developer.state != developer_model.STATE_APPROVED:
            raise tk.NotAuthorized(_not_approved_message(developer))
        owner = DeveloperRef(id=developer.id, user_id=developer.user_id)
        _redis().set(_token_cache_key(token_id), "{} {}".format(owner.id, owner.user_id),
                     ex=TOKEN_CACHE_SECONDS)
        return owner

    developer = Developer.by_token(token_id)
    if user is None or model.ApiToken.get(token_id) is None:
        raise tk.NotAuthorized(
            tk._("The API token in the {header} header has been revoked or does not "
                 "exist. Get a new developer token at {url}.").format(header=header, url=_mine_url())
        )
    if developer is None or developer.user_id != user.id:
        raise tk.NotAuthorized(
            tk._("This data service only accepts the developer API token issued at "
                 "{url}. Send that token in the {header} header.").format(url=_mine_url(), header=header)
        )
    if developer.state != developer_model.STATE_APPROVED:
        raise tk.NotAuthorized(_not_approved_message(developer))
    return developer


def _token_cache_key(token_id: str) -> str:
    return _key("token", token_id)


def _cached_token_owner(token_id: str) -> Optional[DeveloperRef]:
    value = _redis().get(_token_cache_key(token_id))
    if not value:
        return None
    developer_id, user_id = _decode(value).split(" ")
    return DeveloperRef(id=developer_id, user_id=user_id)


def forget_token(token_id: str) -> None:
    """Delete the cached check of a token, so that a revoked token stops
    working at once.

    NOTE: a request that read the token from the database just before
    the revocation committed can cache it again afterwards. It then works
    for at most TOKEN_CACHE_SECONDS more.
    """
    _redis().delete(_token_cache_key(token_id))


def _developer_with_token(token_id: str) -> Optional[Developer]:
    """Return the developer whose current portal token has this id, if CKAN
    still has the token (it was not revoked), else None."""
    return (
        model.Session.query(Developer)
        .join(model.ApiToken, model.ApiToken.id == Developer.token_id)
        .filter(Developer.token_id == token_id)
        .one_or_none()
    )


def _not_approved_message(developer: Developer) -> str:
    return tk._(
        "Your developer registration is not approved (state: {state}), so its "
        "token cannot call data services. See {url}.").format(state=developer.state, url=_mine_url())


def _console_developer(user: Optional[model.User]) -> Developer:
    """Return the logged-in user's approved developer registration with a
    current token, or raise NotAuthorized saying what to do."""
    if user is None:
        raise tk.NotAuthorized(tk._("Log in to use the test console."))
    developer = Developer.by_user(user.id)
    if developer is None:
        raise tk.NotAuthorized(
            tk._("Register as a developer at {url} to call data services.").format(url=_register_url())
        )
    if developer.state != developer_model.STATE_APPROVED:
        raise tk.NotAuthorized(_not_approved_message(developer))
    if not developer.token_id or model.ApiToken.get(developer.token_id) is None:
        raise tk.NotAuthorized(
            tk._("You have no current developer token. Issue one at {url}, then try again.")
            .format(url=_mine_url())
        )
    return developer


# --- quota -------------------------------------------------------------------

# Counts one admitted call in a single Redis round trip. KEYS[1] is the
# daily quota counter, ARGV[1] the quota and ARGV[2] the counter's lifetime
# in seconds. Each usage field ARGV[3..] gets one call in the usage buffer
# KEYS[2], and KEYS[3] counts the calls since the last flush. A call past
# the quota changes nothing. Returns the quota count and the calls since the
# last flush, or -1 in place of the latter when the call was refused.
_ADMIT_SCRIPT = """
local count = redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], ARGV[2])
if count > tonumber(ARGV[1]) then
    redis.call('DECR', KEYS[1])
    return {count, -1}
end
for index = 3, #ARGV do
    redis.call('HINCRBY', KEYS[2], ARGV[index], 1)
end
return {count, redis.call('INCR', KEYS[3])}
"""


# _ADMIT_SCRIPT for a developer found through the cached token check, in
# the same round trip. KEYS[1] is the token's cache key and ARGV[1] the id
# of the request's user. The quota counter's key is ARGV[4] followed by the
# developer id, a colon and the day ARGV[5], and usage fields end with the
# day ARGV[6] after the resource ids ARGV[7..]. Returns {0} when the check
# is not cached for this user, else 1, the developer id, and what
# _ADMIT_SCRIPT returns.
# NOTE: the quota key is built inside the script, which Redis Cluster does
# not allow. CKAN uses one Redis server, where it works.
_CACHED_ADMIT_SCRIPT = """
local owner = redis.call('GET', KEYS[1])
if not owner then
    return {0}
end
local developer_id, user_id = string.match(owner, '^(%S+) (%S+)$')
if user_id ~= ARGV[1] then
    return {0}
end
local quota_key = ARGV[4] .. developer_id .. ':' .. ARGV[5]
local count = redis.call('INCR', quota_key)
redis.call('EXPIRE', quota_key, ARGV[3])
if count > tonumber(ARGV[2]) then
    redis.call('DECR', quota_key)
    return {1, developer_id, count, -1}
end
for index = 7, #ARGV do
    redis.call('HINCRBY', KEYS[2], developer_id .. ' ' .. ARGV[index] .. ' ' .. ARGV[6], 1)
end
return {1, developer_id, count, redis.call('INCR', KEYS[3])}
"""

_scripts: dict[str, Script] = {}


def _script(source: str) -> Script:
    """Return a Lua script as a redis-py Script, which runs it by its SHA1
    and loads it into Redis first when Redis does not have it."""
    if source not in _scripts:
        _scripts[source] = _redis().register_script(source)
    return _scripts[source]


def _admit_script() -> Script:
    return _script(_ADMIT_SCRIPT)


def _cached_admit_script() -> Script:
    return _script(_CACHED_ADMIT_SCRIPT)


def _count_call(developer_id: str, resource_ids: list[str]) -> tuple[RateLimit, datetime.date, int]:
    """Count one call against today's quota and in the usage buffer, or
    raise QuotaExceeded.

    Returns the RateLimit, the quota day and the number of calls counted
    since the last flush of the usage buffer.
    """
    day = quota_day()
    limit = daily_quota()
    count, pending = _admit_script()(
        keys=[_quota_key(developer_id, day), _usage_key(), _pending_key()],
        args=[limit, QUOTA_KEY_TTL_SECONDS,
              *[_usage_field(developer_id, resource_id, day) for resource_id in resource_ids]],
    )
    return _rate_limit(limit, day, int(count), int(pending)), day, int(pending)


def _count_cached_call(
    token_id: str, user_id: str, resource_ids: list[str]
) -> Optional[tuple[str, RateLimit, datetime.date, int]]:
    """Count one call of the user's cached token like _count_call, in the
    same Redis round trip as the token look-up.

    Returns None, having counted nothing, when the token check is not
    cached for this user. Otherwise returns the developer id followed by
    what _count_call returns, or raises QuotaExceeded.
    """
    day = quota_day()
    limit = daily_quota()
    result = _cached_admit_script()(
        keys=[_token_cache_key(token_id), _usage_key(), _pending_key()],
        args=[user_id, limit, QUOTA_KEY_TTL_SECONDS, _key("quota", ""), day.strftime("%Y%m%d"),
              day.isoformat(), *resource_ids],
    )
    if not int(result[0]):
        return None
    _, developer_id, count, pending = result
    rate_limit = _rate_limit(limit, day, int(count), int(pending))
    return _decode(developer_id), rate_limit, day, int(pending)


def _rate_limit(limit: int, day: datetime.date, count: int, pending: int) -> RateLimit:
    """Return the RateLimit after an admission script counted ``count``
    calls today, or raise QuotaExceeded when it refused the call
    (``pending`` is -1)."""
    reset_at = _next_reset(day)
    reset = int(reset_at.timestamp())
    if pending < 0:
        # Refused calls do not use up the quota, so the counter stays equal
        # to the number of calls served.
        retry_after = max(1, int((reset_at - datetime.datetime.now(datetime.timezone.utc)).total_seconds()))
        message = tk._(
            "Daily quota of {limit} calls used up. It resets at midnight "
            "({timezone}), in {seconds} seconds."
        ).format(limit=limit, timezone=_timezone().key, seconds=retry_after)
        _set_request_rate_limit(RateLimit(
            limit=limit, remaining=0, reset=reset, retry_after=retry_after, message=message
        ))
        raise QuotaExceeded(message, retry_after)

    rate_limit = RateLimit(limit=limit, remaining=limit - count, reset=reset)
    _set_request_rate_limit(rate_limit)
    return rate_limit


def _set_request_rate_limit(rate_limit: RateLimit) -> None:
    if has_request_context():
        setattr(tk.g, RATE_LIMIT_ATTRIBUTE, rate_limit)


def request_rate_limit() -> Optional[RateLimit]:
    """Return the RateLimit recorded during the current request, if any."""
    return getattr(tk.g, RATE_LIMIT_ATTRIBUTE, None)


# --- the meter of one call -------------------------------------------------------


class Meter:
    """Metering of one Action API call of a DataStore search action.

    The chained action creates it, the chained auth function calls
    ``admit`` once the resource ids are known, and the chained action calls
    ``succeeded`` or ``failed`` after the search.
    """

    def __init__(self) -> None:
        self.developer_id: Optional[str] = None
        self.day: Optional[datetime.date] = None
        self.resource_ids: list[str] = []
        self.pending_calls = 0

    @classmethod
    def for_call(cls, context: Context) -> Optional["Meter"]:
        """Return a Meter for calls through the Action API, else None."""
        if not context.get("api_version") or not has_request_context():
            return None
        return cls()

    @classmethod
    def for_dump(cls) -> "Meter":
        """Return a Meter for a DataStore dump."""
        return cls()

    def admit(self, context: Context, resource_ids: list[str]) -> None:
        """Check the caller's token, access applications and quota for
        reading these resources.

        Raises NotAuthorized when a developer token is required and missing
        or not valid, or when a conditionally open resource lacks an approved
        application, and QuotaExceeded past the daily quota.
        """
        if self.developer_id is not None:
            return
        user = context_user(context)
        if user is not None and user.sysadmin:
            return

        metered = []
        conditional = []
        for resource_id in resource_ids:
            found = active_resource(resource_id)
            if found is None:
                continue
            resource, package = found
            if access.is_exempt(user, package):
                continue
            if access.is_conditional(package):
                conditional.append((resource, package))
                metered.append(resource.id)
            elif package.type == DATASERVICE_TYPE and _token_required():
                metered.append(resource.id)
        if not metered:
            return

        # The usage is counted together with the quota, to save Redis round
        # trips, and taken back by failed().
        if context.get(CONSOLE_CONTEXT_KEY):
            developer: Union[Developer, DeveloperRef] = _console_developer(user)
        else:
            token_id = _request_token_id()
            if user is not None and not conditional:
                # The common case: one round trip checks and counts.
                counted = _count_cached_call(token_id, user.id, metered)
                if counted is not None:
                    developer_id, rate_limit, day, pending_calls = counted
                    self._admitted(developer_id, day, metered, pending_calls, rate_limit)
                    return
            developer = _token_developer(user, token_id)
        for resource, package in conditional:
            if not access.has_access(developer.user_id, resource.id):
                raise tk.NotAuthorized(access.denied_message(package))
        rate_limit, day, pending_calls = _count_call(developer.id, metered)
        self._admitted(developer.id, day, metered, pending_calls, rate_limit)

    def _admitted(self, developer_id: str, day: datetime.date, resource_ids: list[str],
                  pending_calls: int, rate_limit: RateLimit) -> None:
        self.developer_id = developer_id
        self.day = day
        self.resource_ids = resource_ids
        self.pending_calls = pending_calls
        log.debug("Metered call of developer %s on %s, %d left today",
                  developer_id, resource_ids, rate_limit.remaining)

    def succeeded(self) -> None:
        """Flush the usage buffer if enough calls have been counted."""
        if self.developer_id is None:
            return
        _flush_if_due(self.pending_calls, self.developer_id)

    def failed(self) -> None:
        """Give back the quota and the usage count of a call that failed
        after admission."""
        if self.developer_id is None or self.day is None:
            return
        with _redis().pipeline() as pipe:
            pipe.decr(_quota_key(self.developer_id, self.day))
            for resource_id in self.resource_ids:
                # A flush since admit() may have moved the +1 to PostgreSQL.
                # The -1 then reaches it with the next flush.
                pipe.hincrby(_usage_key(), _usage_field(self.developer_id, resource_id, self.day), -1)
            pipe.execute()
        rate_limit = request_rate_limit()
        if rate_limit is not None:
            rate_limit.remaining = min(rate_limit.limit, rate_limit.remaining + 1)


# --- usage buffer --------------------------------------------------------------


def _usage_key() -> str:
    return _key("usage")


def _usage_batch_pattern() -> str:
    return _key("usage", "batch", "*")


def _pending_key() -> str:
    return _key("usage", "pending")


def _usage_field(developer_id: str, resource_id: str, day: datetime.date) -> str:
    return " ".join([developer_id, resource_id, day.isoformat()])


def record_usage(developer_id: str, resource_ids: list[str], day: datetime.date) -> None:
    """Add one call per resource to the Redis buffer; flush every N calls."""
    redis = _redis()
    with redis.pipeline() as pipe:
        for resource_id in resource_ids:
            pipe.hincrby(_usage_key(), _usage_field(developer_id, resource_id, day), 1)
        pipe.incr(_pending_key())
        pending = int(pipe.execute()[-1])
    _flush_if_due(pending, developer_id)


def _flush_if_due(pending: int, developer_id: str) -> None:
    if pending < tk.config.get("ckanext.tjportal.developer.usage_flush_every"):
        return
    try:
        flush_usage(wait=False)
    except Exception:
        # The served call stays a success. The counts stay in Redis for
        # the next flush.
        log.exception("Flushing usage counters after call of developer %s failed", developer_id)


def pending_usage(developer_id: str) -> dict[tuple[str, datetime.date], int]:
    """Return the buffered, not yet flushed calls of one developer by
    (resource id, day)."""
    redis = _redis()
    keys = [_usage_key(), *[key.decode() if isinstance(key, bytes) else key
                            for key in redis.scan_iter(match=_usage_batch_pattern())]]
    pending: dict[tuple[str, datetime.date], int] = {}
    for key in keys:
        for field, calls in redis.hscan_iter(key, match="{} *".format(developer_id)):
            _, resource_id, day = _decode(field).split(" ")
            slot = (resource_id, datetime.date.fromisoformat(day))
            pending[slot] = pending.get(slot, 0) + int(calls)
    return pending


def _decode(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def flush_usage(wait: bool = True) -> int:
    """Move the buffered usage counters from Redis into PostgreSQL.

    The buffer hash is first renamed to a batch key, so calls counted during
    the flush go into a new hash. A batch key is deleted only after its rows
    are committed, so a failed flush leaves it for the next one. A Redis lock
    keeps two processes from writing the same batch twice. With ``wait``
    false, a flush that finds the lock taken returns at once. Returns the
    number of (developer, resource, day) rows written.
    """
    redis = _redis()
    lock = redis.lock(_key("usage", "flush-lock"), timeout=300, blocking_timeout=5)
    if not lock.acquire(blocking=wait):
        log.info("Usage flush skipped because another process has the flush lock")
        return 0
    try:
        redis.set(_pending_key(), 0)
        if redis.exists(_usage_key()):
            redis.rename(_usage_key(), _key("usage", "batch", uuid.uuid4().hex))
        written = 0
        for batch_key in list(redis.scan_iter(match=_usage_batch_pattern())):
            written += _write_batch(redis, _decode(batch_key))
        return written
    finally:
        lock.release()


def _write_batch(redis: Redis, batch_key: str) -> int:
    counts: dict[tuple[str, str, datetime.date], int] = {}
    for field, calls in redis.hgetall(batch_key).items():
        developer_id, resource_id, day = _decode(field).split(" ")
        counts[(developer_id, resource_id, datetime.date.fromisoformat(day))] = int(calls)
    if not counts:
        redis.delete(batch_key)
        return 0

    table = DeveloperUsage.__table__
    engine = model.meta.engine
    with engine.begin() as connection:
        developer_ids = {developer_id for developer_id, _, _ in counts}
        existing = set(connection.execute(
            select(Developer.__table__.c.id).where(Developer.__table__.c.id.in_(developer_ids))
        ).scalars())
        rows = [
            {"developer_id": developer_id, "resource_id": resource_id, "day": day, "calls": calls}
            for (developer_id, resource_id, day), calls in counts.items()
            if developer_id in existing
        ]
        if len(rows) < len(counts):
            log.warning("Dropped usage of %d deleted developers while flushing %s",
                        len(developer_ids - existing), batch_key)
        if rows:
            statement = insert(table).values(rows)
            statement = statement.on_conflict_do_update(
                index_elements=[table.c.developer_id, table.c.resource_id, table.c.day],
                set_={"calls": table.c.calls + statement.excluded.calls},
            )
            connection.execute(statement)
    redis.delete(batch_key)
    log.info("Flushed %d usage rows from %s", len(rows), batch_key)
    return len(rows)
