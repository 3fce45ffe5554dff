"""The operator console: one web page for a bureau's companies — connected or not, what is queued,
what failed and why, retry, activation links, progress, exports — in Swedish and English.

Flask and Jinja2, rendered on the server and served by waitress; a few lines of plain JavaScript
refresh parts of a page every two seconds. Routes are thin over the one `Bridge`
(`bridge.pipeline.service`). Off the loopback address it asks for a login (`console.password_hash`)
and refuses to start without one; every form carries a CSRF token.
"""

from bridge.console.app import create_app
from bridge.console.server import ConsoleError, ConsoleServer, hash_password

__all__ = ["ConsoleError", "ConsoleServer", "create_app", "hash_password"]
