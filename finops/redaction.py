"""Keeping secrets out of text: the one shape of an API key and the one scrub function.

Every provider's secret keys start with ``sk-`` (OpenAI ``sk-admin-``, ``sk-proj-``, ``sk-svcacct-``;
Anthropic ``sk-ant-admin...``, ``sk-ant-api...``). The shape also matches the redacted and masked forms
APIs echo back (``sk-proj-****abcd``), which are scrubbed too.
"""

from __future__ import annotations

import re

#: Anything shaped like a provider's secret key, not glued to a preceding word (``task-runner`` is not a key),
#: except the project's own redacted display forms ``sk-admin...abcd`` and ``sk-ant-admin...abcd``.
LOOKS_LIKE_KEY = re.compile(
    r"(?<![A-Za-z0-9])sk-(?!(?:admin|ant-admin)\.\.\.[A-Za-z0-9_-]{4}(?![A-Za-z0-9_-]))[A-Za-z0-9_*.\-]{6,}")

PLACEHOLDER = "[redacted]"


def scrub(text: str, *known: str | None, placeholder: str = PLACEHOLDER) -> str:
    """``text`` without the ``known`` secrets and without anything shaped like a key."""
    for secret in known:
        if secret:
            text = text.replace(secret, placeholder)
    return LOOKS_LIKE_KEY.sub(placeholder, text)
