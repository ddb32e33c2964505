"""Re-encrypt every stored secret under a new ENCRYPTION_KEY.

    python -m crm.rotate_keys --old-key <base64> --new-key <base64>

Keys may also come from the environment (OLD_ENCRYPTION_KEY, NEW_ENCRYPTION_KEY) so they
stay out of the shell history. Generate a new key with:
    python -c "import base64, os; print(base64.b64encode(os.urandom(32)).decode())"
Then set ENCRYPTION_KEY to the new key and restart the app, the API and the flows.
"""

from __future__ import annotations

import argparse
import os
import sys

from crm.errors import DomainError
from crm.services.secrets import rotate_encryption_key


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crm.rotate_keys", description=__doc__.splitlines()[0])
    parser.add_argument("--old-key", default=os.environ.get("OLD_ENCRYPTION_KEY"),
                        help="the current ENCRYPTION_KEY (default: $OLD_ENCRYPTION_KEY)")
    parser.add_argument("--new-key", default=os.environ.get("NEW_ENCRYPTION_KEY"),
                        help="the new key, 32 bytes base64 (default: $NEW_ENCRYPTION_KEY)")
    args = parser.parse_args(argv)
    if not args.old_key or not args.new_key:
        parser.error("give --old-key and --new-key (or OLD_ENCRYPTION_KEY / NEW_ENCRYPTION_KEY)")
    try:
        count = rotate_encryption_key(args.old_key, args.new_key)
    except DomainError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 1
    print(f"Re-encrypted {count} secret(s). Now set ENCRYPTION_KEY to the new key and restart.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
