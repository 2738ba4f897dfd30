"""A visit's recording is served only to the browser whose session shows it.

Streamlit serves ``st.audio`` bytes at ``/media/<id>``, an id made from the content, and answers
anyone who asks while any session shows the file: a URL copied from one browser plays in another
with no sign-in. So the page registers each recording it shows with the session and that
browser's XSRF cookie (Streamlit sets it on every page load; the WebSocket is already bound to
it), and a check in front of Streamlit's media route answers 404 to a request for a registered
recording that does not carry the cookie of a live session showing it now. Other media (the
bundled sample visits, the favicon) are not registered and are served as before.

A session's registrations are renewed on every full run of the page (``begin_run``/``end_run``),
so a recording the page stops showing (revoked share, other visit, signed out) stops playing.
Without an XSRF cookie (protection switched off) nothing matches: the recording is refused,
never served to everyone.
"""
from __future__ import annotations

import threading
from typing import Any

COOKIE = "_streamlit_xsrf"
_lock = threading.Lock()
_allowed: dict[str, dict[str, bytes | None]] = {}  # file id -> {session id: the browser's XSRF token}
_this_run: dict[str, set[str]] = {}  # session id -> file ids registered in its current full run
_guarded: set[str] = set()  # once registered, a file is never served unchecked (even with no session left)
_installed = False


def token_of(cookie_value: str | None) -> bytes | None:
    """The raw XSRF token in a cookie value (the cookie is re-masked on every page load)."""
    if not cookie_value:
        return None
    try:
        from streamlit.web.server.starlette.starlette_app_utils import decode_xsrf_token_string

        return decode_xsrf_token_string(cookie_value)[0]
    except Exception:  # an unreadable cookie matches nothing
        return None


def begin_run(session_id: str) -> None:
    with _lock:
        _this_run[session_id] = set()


def end_run(session_id: str) -> None:
    """Forget what this session registered before and did not register again in this run."""
    with _lock:
        kept = _this_run.pop(session_id, set())
        for file_id in list(_allowed):
            if file_id not in kept:
                _allowed[file_id].pop(session_id, None)
                if not _allowed[file_id]:
                    del _allowed[file_id]


def register(file_id: str, session_id: str, cookie_value: str | None) -> None:
    with _lock:
        _guarded.add(file_id)
        _allowed.setdefault(file_id, {})[session_id] = token_of(cookie_value)
        _this_run.setdefault(session_id, set()).add(file_id)


def allowed(file_id: str, cookie_value: str | None, live=None) -> bool:
    """May a request carrying this cookie have this media file? (Unregistered files: yes.)"""
    with _lock:
        if file_id not in _guarded:
            return True
        sessions = dict(_allowed.get(file_id, {}))
    token = token_of(cookie_value)
    if token is None:
        return False
    live = live or _session_is_live
    return any(t is not None and t == token and live(sid) for sid, t in sessions.items())


def _session_is_live(session_id: str) -> bool:
    try:
        from streamlit.runtime import Runtime

        return Runtime.exists() and Runtime.instance().is_active_session(session_id)
    except Exception:
        return False


def _cookie(scope: dict[str, Any]) -> str | None:
    from http.cookies import SimpleCookie

    for name, value in scope.get("headers") or []:
        if name.lower() == b"cookie":
            jar = SimpleCookie()
            try:
                jar.load(value.decode("latin-1"))
            except Exception:
                return None
            if COOKIE in jar:
                return jar[COOKIE].value
    return None


def install() -> None:
    """Put the check in front of Streamlit's media route (once per process). Streamlit's
    Starlette server hands every request for ``/media/{file_id}`` to ``Route.handle``; the
    check answers there, before the file is looked up."""
    global _installed
    if _installed:
        return
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    original = Route.handle

    async def handle(self, scope, receive, send):
        if scope.get("type") == "http" and str(getattr(self, "path", "")).endswith("/media/{file_id:path}"):
            name = str((scope.get("path_params") or {}).get("file_id", ""))
            file_id = name.rsplit("/", 1)[-1].split(".", 1)[0]
            if not allowed(file_id, _cookie(scope)):
                await PlainTextResponse("Not found", status_code=404)(scope, receive, send)
                return
        await original(self, scope, receive, send)

    Route.handle = handle
    _installed = True


def current_session() -> str:
    """The running script's session id ("" outside a Streamlit run)."""
    try:
        from streamlit.runtime.scriptrunner import get_script_run_ctx

        ctx = get_script_run_ctx()
        return ctx.session_id if ctx is not None else ""
    except Exception:
        return ""
