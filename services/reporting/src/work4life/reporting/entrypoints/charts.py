"""Small SVG charts drawn on the server: the dashboard needs no JavaScript and no outside asset."""

from collections.abc import Sequence
from decimal import Decimal
from html import escape

Figure = float | int | Decimal | str  # a str is a suppressed count ("<5")

PALETTE = ("#1f6f8b", "#99a8b2", "#e6a400", "#c0392b")


def _number(value: Figure) -> str:
    if isinstance(value, str):
        return value
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def bars(rows: Sequence[tuple[str, Figure]], *, width: int = 520, unit: str = "") -> str:
    """Horizontal bars, one per row, with its value written at its end. A suppressed value ("<5")
    is drawn as a hatched stub."""
    if not rows:
        return '<p class="empty">No data for this period.</p>'
    label_w, bar_h, gap = 170, 18, 8
    numeric = [v for _, v in rows if not isinstance(v, str)]
    top = max([*(float(v) for v in numeric), 1.0])
    height = len(rows) * (bar_h + gap) + gap
    parts = [f'<svg class="chart" role="img" width="{width}" height="{height}" viewBox="0 0 {width} {height}">']
    for i, (label, value) in enumerate(rows):
        y = gap + i * (bar_h + gap)
        span = 4 if isinstance(value, str) else max(2.0, (width - label_w - 70) * float(value) / top)
        fill = "url(#hatch)" if isinstance(value, str) else PALETTE[0]
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 13}" text-anchor="end">{escape(label)}</text>'
            f'<rect x="{label_w}" y="{y}" width="{span:.1f}" height="{bar_h}" fill="{fill}"><title>{escape(label)}: '
            f"{escape(_number(value))}{escape(unit)}</title></rect>"
            f'<text x="{label_w + span + 5:.1f}" y="{y + 13}">{escape(_number(value))}{escape(unit)}</text>'
        )
    parts.append(
        '<defs><pattern id="hatch" width="4" height="4" patternUnits="userSpaceOnUse">'
        '<path d="M0,4 l4,-4" stroke="#99a8b2"/></pattern></defs></svg>'
    )
    return "".join(parts)


def progress(value: float, target: float | None, *, width: int = 220) -> str:
    """A bar filled to the share of the target reached (capped at the bar's end)."""
    if not target:
        return '<span class="muted">no target set</span>'
    share = max(0.0, float(value) / target)
    filled = min(share, 1.0) * width
    return (
        f'<svg class="progress" role="img" width="{width + 60}" height="16">'
        f'<rect width="{width}" height="12" y="2" fill="#e8edf0"/>'
        f'<rect width="{filled:.1f}" height="12" y="2" fill="{PALETTE[2] if share < 1 else PALETTE[0]}"/>'
        f'<text x="{width + 6}" y="13">{100 * share:.0f}%</text></svg>'
    )


def columns(points: Sequence[tuple[str, Figure]], *, width: int = 520, height: int = 150) -> str:
    """Monthly columns with the month under each."""
    if not points:
        return '<p class="empty">No data for this period.</p>'
    numeric = [float(v) for _, v in points if not isinstance(v, str)]
    top = max([*numeric, 1.0])
    slot = width / len(points)
    base = height - 22
    parts = [f'<svg class="chart" role="img" width="{width}" height="{height}" viewBox="0 0 {width} {height}">']
    for i, (label, value) in enumerate(points):
        h = 3 if isinstance(value, str) else (base - 16) * float(value) / top
        x = i * slot + slot * 0.15
        parts.append(
            f'<rect x="{x:.1f}" y="{base - h:.1f}" width="{slot * 0.7:.1f}" height="{h:.1f}" fill="{PALETTE[0]}">'
            f"<title>{escape(label)}: {escape(_number(value))}</title></rect>"
            f'<text x="{x + slot * 0.35:.1f}" y="{base - h - 3:.1f}" text-anchor="middle" class="small">'
            f"{escape(_number(value))}</text>"
            f'<text x="{x + slot * 0.35:.1f}" y="{height - 6}" text-anchor="middle" class="small">{escape(label)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
