"""Data Docs written to a local folder and made readable offline (no CDN scripts or styles).

GX pages link Bootstrap, bootstrap-table, jQuery, Vega and Font Awesome from CDNs. Offline, those
links are removed, a small local stylesheet is inlined instead, remote images point at the copies
GX writes under ``static/``, and the tables that bootstrap-table would draw from inline JSON data
(the index page's list of validations and suites) are written as plain HTML tables.
"""

from __future__ import annotations

import ast
import html
import os
import re
from pathlib import Path
from typing import Any

OFFLINE_CSS = Path(__file__).resolve().parent / "data_docs_offline.css"
_REMOTE_SCRIPT = re.compile(
    r"<script\b[^>]*\bsrc=[\"']https?://[^\"']*[\"'][^>]*>\s*</script>\s*", re.IGNORECASE
)
_REMOTE_LINK = re.compile(r"<link\b[^>]*\bhref=[\"']https?://[^\"']*[\"'][^>]*>\s*", re.IGNORECASE)
_REMOTE_IMG = re.compile(
    r"(<img\b[^>]*\bsrc=)[\"']https?://[^\"']*?/([\w.-]+\.(?:png|svg|gif|ico))(?:\?[^\"']*)?[\"']",
    re.IGNORECASE,
)
_JS_TABLE = re.compile(
    r"\$\('#(?P<id>[\w-]+)'\)\.bootstrapTable\(\s*Object\.assign\(\s*\{\s*columns:\s*(?P<columns>\[.*?\]),\s*"
    r"data:\s*(?P<data>\[.*?\]),\s*toolbar:",
    re.DOTALL,
)
REMOTE_ASSET = re.compile(r"<(?:script|link|img)\b[^>]*\b(?:src|href)=[\"']https?://", re.IGNORECASE)


def site_config(docs_dir: Path) -> dict[str, Any]:
    """A filesystem Data Docs site rooted at ``docs_dir``."""
    docs_dir.mkdir(parents=True, exist_ok=True)
    return {
        "class_name": "SiteBuilder",
        "show_how_to_buttons": False,
        "store_backend": {
            "class_name": "TupleFilesystemStoreBackend",
            "base_directory": str(docs_dir.resolve()),
        },
        "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
    }


def make_offline(docs_dir: Path) -> Path:
    """Rewrite every page of the site without CDN assets; return the index page."""
    style = f"<style>\n{OFFLINE_CSS.read_text()}</style>\n"
    images = docs_dir / "static" / "images"
    for page in docs_dir.rglob("*.html"):
        text = page.read_text()
        if "finops-offline" in text:
            continue
        text = _REMOTE_SCRIPT.sub("", text)
        text = _REMOTE_LINK.sub("", text)
        to_images = Path(os.path.relpath(images, page.parent)).as_posix()
        text = _REMOTE_IMG.sub(lambda m, rel=to_images: f'{m.group(1)}"{rel}/{m.group(2)}"', text)
        text = _static_tables(text)
        text = text.replace("</head>", f'<meta name="finops-offline" content="1">\n{style}</head>', 1)
        page.write_text(text)
    return docs_dir / "index.html"


def _static_tables(text: str) -> str:
    """Write each bootstrap-table's inline data as a plain HTML table right after its empty <table>."""
    for match in _JS_TABLE.finditer(text):
        try:
            columns = ast.literal_eval(match.group("columns"))
            rows = ast.literal_eval(match.group("data"))
        except (ValueError, SyntaxError):
            continue
        table = _html_table(columns, rows)
        anchor = re.search(rf"<table\s[^>]*id=\"{re.escape(match.group('id'))}\"[^>]*>\s*</table>", text)
        if anchor:
            text = text[: anchor.end()] + table + text[anchor.end() :]
    return text


def _html_table(columns: list[dict[str, Any]], rows: list[dict[str, Any]]) -> str:
    """A plain table; cells keep GX's own HTML, and a row links to its page when GX gave it one."""
    head = "".join(f"<th>{html.escape(str(c.get('title', c['field'])))}</th>" for c in columns)
    body = []
    for row in rows:
        cells = []
        for c in columns:
            value = row.get(c["field"], "")
            if c["field"] == "validation_success" and "_validation_success_text" in row:
                value = f"{value} {html.escape(row['_validation_success_text'])}"
            cells.append(f"<td>{value}</td>")
        link = row.get("_table_row_link_path")
        if link:
            cells.append(f'<td><a href="{html.escape(link)}">open</a></td>')
        body.append("<tr>" + "".join(cells) + "</tr>")
    if any(row.get("_table_row_link_path") for row in rows):
        head += "<th></th>"
    return f'\n<table class="table table-sm finops-offline-table"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>\n'
