"""A local stand-in for the Google REST APIs calsync uses (dev and test only).

    from calsync_sandbox import Sandbox, SandboxControl
    sb = Sandbox()
    base = sb.start(host="127.0.0.1", port=0)
    ctl = SandboxControl(base)
    ctl.seed_user("alice@acme.com")

See ``docs/sandbox.md`` for the URL layout, the behaviours and the control API.

Layout: ``state/`` (the in-memory world), ``oauth/``, ``gateway/`` (the request pipeline), one
package per Google API (``calendar/``, ``directory/``, ``transfer/``, ``tasks/``) and
``control/`` (the control routes and ``SandboxControl``); ``server.py`` wires them together.
"""

from .control.client import SandboxControl
from .control.transport import SandboxControlError
from .server import Sandbox

__all__ = ["Sandbox", "SandboxControl", "SandboxControlError"]
