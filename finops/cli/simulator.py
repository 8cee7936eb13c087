"""``finops simulator``: serve the OpenAI admin endpoints locally for the demo, development and tests."""

from __future__ import annotations

import argparse
import logging

from finops.errors import ConfigurationError

log = logging.getLogger("finops.simulator")


def _share(text: str) -> float:
    value = float(text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"{text} is not a share between 0 and 1")
    return value


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "simulator",
        help="serve a local OpenAI and Anthropic cost API simulator (demo config with generated keys unless --config)",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=54331, help="port to listen on (default 54331)")
    p.add_argument("--config", metavar="FILE", help="simulator YAML config (default: the demo organizations)")
    p.add_argument("--latency-ms", type=int, metavar="N", help="added latency per request, every organization")
    p.add_argument("--rate-429", type=_share, metavar="X", help="share of requests answered 429 (with Retry-After)")
    p.add_argument("--retry-after", type=float, metavar="S", help="Retry-After seconds sent with each 429")
    p.add_argument("--rate-5xx", type=_share, metavar="X", help="share of requests answered 500 or 503")
    p.add_argument("--rate-529", type=_share, metavar="X", help="Anthropic: share of requests answered 529 overloaded")
    p.add_argument("--string-amounts", action="store_true", default=None, help="send amounts as JSON strings")
    p.add_argument("--null-project-share", type=_share, metavar="X", help="share of results with project_id null")
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from finops.simulator import config as simconfig
    from finops.simulator.server import serve

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.config:
        try:
            config = simconfig.load_config(args.config)
        except FileNotFoundError:
            raise ConfigurationError(f"The simulator config {args.config} does not exist; pass an existing YAML file.") from None
        except (ValidationError, ValueError) as exc:
            first = exc.errors()[0] if isinstance(exc, ValidationError) else {"loc": (), "msg": str(exc)}
            where = ".".join(str(part) for part in first["loc"]) or "the file"
            raise ConfigurationError(
                f"The simulator config {args.config} is invalid at {where} ({first['msg']}); fix it, see docs/simulator.md."
            ) from None
    else:
        keys, path, created = simconfig.demo_keys()
        config = simconfig.demo_config(keys)
        log.info("Demo organizations %s; their Admin keys are %s in %s (one per name, file mode 0600).",
                 ", ".join(keys), "newly generated" if created else "read", path)
    try:
        config = config.with_faults(
            latency_ms=args.latency_ms, rate_429=args.rate_429, retry_after_seconds=args.retry_after,
            rate_5xx=args.rate_5xx, rate_529=args.rate_529, string_amounts=args.string_amounts,
            null_project_share=args.null_project_share,
        )
    except ValidationError as exc:
        raise ConfigurationError(
            f"The fault options do not fit an organization's knobs ({exc.errors()[0]['msg']}); "
            "lower --rate-429, --rate-5xx or --rate-529 so that together they are at most 1."
        ) from None
    log.info("Simulator serving %d organizations on http://%s:%d", len(config.organizations), args.host, args.port)
    serve(config, host=args.host, port=args.port)
    return 0
