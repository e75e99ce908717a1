"""``python -m integrations.sandbox [--host 127.0.0.1] [--port 8765]``"""

import argparse
import contextlib
import os

from .app import serve

parser = argparse.ArgumentParser(description="Keel sandbox partner systems")
parser.add_argument("--host", default=os.environ.get("KEEL_SANDBOX_HOST", "127.0.0.1"))
parser.add_argument("--port", type=int, default=int(os.environ.get("KEEL_SANDBOX_PORT", "8765")))
args = parser.parse_args()
server = serve(args.host, args.port)
print(f"Keel sandbox partners on http://{args.host}:{args.port}/", flush=True)
with contextlib.suppress(KeyboardInterrupt):
    server.serve_forever()
