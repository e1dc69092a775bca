"""What the learner sees: one object with a text and an HTML form, and how it is shown.

Every view is deterministic (no times, paths, addresses or random choices), so running a
check twice gives byte-identical output. The HTML uses words for the verdict and colour only
for a thin border, and inherits the text colour, so it reads in light and dark themes.

Every text in a box inherits its colour, ``<code>`` included: the page's themes colour
inline code for the page's own background (pydata-sphinx-theme's dark theme uses a light pink,
``--pst-color-inline-code``), but the book's dark theme shows a notebook's HTML output on a
light surface with dark text, where that pink was invisible (contrast 1:1). Inherited, code
has the contrast of the text around it in the book's light and dark themes and in
JupyterLab's (``tests/test_browser.py`` measures the book).
"""

from __future__ import annotations

import html

HEADLINES = {
    "pass": "Passed",
    "not_attempted": "Not attempted yet",
    "error": "Not yet: your function raised an error",
    "timeout": "Not yet: your function did not finish in time",
    "wrong_type": "Not yet: wrong type",
    "wrong_shape": "Not yet: wrong shape",
    "mistake": "Mistake found",
    "wrong_values": "Not yet: wrong values",
    "mutated_input": "Not yet: your function changed its inputs",
}
BOOK_HEADLINE = "Exercise"

_BORDER = {
    "pass": "#2e7d32",  # green
    "not_attempted": "#78909c",  # grey
    "mistake": "#c77700",  # amber
}
_FAIL_BORDER = "#c62828"  # red
_BOX = "border-left: 4px solid {}; padding: 0.3em 0.8em; margin: 0.4em 0; color: inherit; background: transparent;"
_CODE = '<code style="color: inherit;">'


def _e(text) -> str:
    return html.escape(str(text), quote=False)


def _code_spans(text: str) -> str:
    """Escape text and turn `backticked` parts into <code>."""
    parts = str(text).split("`")
    out = []
    for i, part in enumerate(parts):
        out.append(f"{_CODE}{_e(part)}</code>" if i % 2 else _e(part))
    return "".join(out) if len(parts) % 2 else _e(text)


def verdict_text(result) -> str:
    lines = [f"[{result.headline}] {result.exercise}: {result.title}", result.message]
    lines += [f"  - {d}" for d in result.details]
    if result.verified:
        lines.append("Verified:")
        lines += [f"  - {v}" for v in result.verified]
    if result.hint:
        lines.append(f"Hint: {result.hint}")
    if result.next_steps:
        lines.append(result.next_steps)
    return "\n".join(line for line in lines if line)


def verdict_html(result) -> str:
    border = _BORDER.get(result.status, _FAIL_BORDER)
    parts = [
        f'<div class="rnncourse-verdict rnncourse-{_e(result.status)}" style="{_BOX.format(border)}">',
        f'<p style="margin: 0.2em 0;"><strong>{_e(result.headline)}</strong> &middot; '
        f"{_CODE}{_e(result.exercise)}</code>: {_e(result.title)}</p>",
    ]
    if result.message:
        parts.append(f'<p style="margin: 0.2em 0;">{_code_spans(result.message)}</p>')
    if result.details:
        items = "".join(f"<li>{_code_spans(d)}</li>" for d in result.details)
        parts.append(f'<ul style="margin: 0.2em 0;">{items}</ul>')
    if result.verified:
        items = "".join(f"<li>{_code_spans(v)}</li>" for v in result.verified)
        parts.append(f'<details><summary>What was verified</summary><ul style="margin: 0.2em 0;">{items}</ul></details>')
    if result.hint:
        parts.append(f"<details><summary>Hint</summary><p>{_code_spans(result.hint)}</p></details>")
    if result.next_steps:
        parts.append(f'<p style="margin: 0.2em 0; font-size: 90%;">{_code_spans(result.next_steps)}</p>')
    parts.append("</div>")
    return "\n".join(parts)


class TextView:
    """A small display object: a heading, paragraphs and an optional code block."""

    def __init__(self, heading: str, paragraphs=(), code: str | None = None, status: str = "not_attempted"):
        self.heading = heading
        self.paragraphs = list(paragraphs)
        self.code = code
        self.status = status

    def __repr__(self) -> str:
        lines = [self.heading, *self.paragraphs]
        if self.code is not None:
            lines.append(self.code.rstrip("\n"))
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        border = _BORDER.get(self.status, _FAIL_BORDER)
        parts = [f'<div class="rnncourse-note" style="{_BOX.format(border)}">', f"<p><strong>{_e(self.heading)}</strong></p>"]
        parts += [f"<p>{_code_spans(p)}</p>" for p in self.paragraphs]
        if self.code is not None:
            parts.append(f"<pre><code>{_e(self.code.rstrip())}</code></pre>")
        parts.append("</div>")
        return "\n".join(parts)


class TableView:
    """A plain table (list of exercises, progress)."""

    def __init__(self, heading: str, columns, rows):
        self.heading = heading
        self.columns = list(columns)
        self.rows = [list(map(str, r)) for r in rows]

    def __repr__(self) -> str:
        widths = [max([len(c)] + [len(r[i]) for r in self.rows]) for i, c in enumerate(self.columns)]
        fmt = "  ".join("{:<%d}" % w for w in widths)
        lines = [fmt.format(*self.columns), fmt.format(*("-" * w for w in widths))]
        lines += [fmt.format(*r) for r in self.rows]
        return "\n".join([self.heading] + [line.rstrip() for line in lines])

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{_e(c)}</th>" for c in self.columns)
        body = "".join("<tr>" + "".join(f"<td>{_e(x)}</td>" for x in r) + "</tr>" for r in self.rows)
        return f"<p><strong>{_e(self.heading)}</strong></p><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def in_ipython() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is installed with the course
        return False
    return get_ipython() is not None


def show(obj, metadata: dict | None = None) -> None:
    """One display output (text/plain + text/html) in IPython; plain text elsewhere."""
    if in_ipython():
        from IPython.display import display

        display(obj, metadata=metadata)
    else:
        print(repr(obj))
