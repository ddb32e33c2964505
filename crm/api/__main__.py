"""`python -m crm.api`: serve the API with uvicorn on settings.api_host:settings.api_port."""

from __future__ import annotations

import argparse

import uvicorn

from crm.config import get_settings


def main(argv: list[str] | None = None) -> None:
    settings = get_settings()
    parser = argparse.ArgumentParser(prog="python -m crm.api", description="Serve the RealEstate Pro API.")
    parser.add_argument("--host", default=settings.api_host, help="default: API_HOST (%(default)s)")
    parser.add_argument("--port", type=int, default=settings.api_port, help="default: API_PORT (%(default)s)")
    parser.add_argument(
        "--proxy-headers", action="store_true",
        help="trust X-Forwarded-For/-Proto from --forwarded-allow-ips; only behind your own reverse proxy, "
             "otherwise any client could forge the IP recorded in the audit log",
    )
    parser.add_argument("--forwarded-allow-ips", default="127.0.0.1",
                        help="proxies trusted with --proxy-headers (default: %(default)s)")
    args = parser.parse_args(argv)
    uvicorn.run(
        "crm.api.main:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        proxy_headers=args.proxy_headers,
        forwarded_allow_ips=args.forwarded_allow_ips,
        server_header=False,
        log_level="info",
    )


if __name__ == "__main__":
    main()
