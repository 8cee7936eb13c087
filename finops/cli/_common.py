"""Helpers shared by the command modules."""

from __future__ import annotations

import getpass


def registry():
    """The team registry, imported when a command runs (it pulls in Airflow and the providers: `--help` must not)."""
    from finops.registry import Registry

    return Registry()


def actor() -> str:
    """Who is acting, for the audit log: the OS user, marked as coming from the command line."""
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # no passwd entry (some containers)
        return "cli:unknown"


def table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=False)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    lines = [fmt.format(*header), fmt.format(*("-" * w for w in widths))]
    lines += [fmt.format(*(str(x) for x in row)) for row in rows]
    return "\n".join(line.rstrip() for line in lines)


def add_provider_argument(parser, help_text: str = "the provider (default: openai)") -> None:
    """``--provider openai|anthropic``, defaulting to OpenAI (existing commands keep their meaning)."""
    from finops.providers import DEFAULT_PROVIDER, PROVIDERS

    parser.add_argument("--provider", choices=list(PROVIDERS), default=DEFAULT_PROVIDER, help=help_text)
