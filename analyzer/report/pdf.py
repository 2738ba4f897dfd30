"""The report as a PDF (ReportLab): scorecard table, a timeline drawn with reportlab.graphics,
the moments, and the transcript with its tags. Written atomically by the caller's path."""
from __future__ import annotations

from io import BytesIO
from pathlib import Path
from xml.sax.saxutils import escape

from . import facts as F
from .model import Report
from .timeline import EVENTS, ROWS, _category

DEJAVU = Path("/usr/share/fonts/truetype/dejavu")


def _fonts() -> tuple[str, str]:
    """DejaVu Sans when the system has it (covers accents, dashes and quotes of any transcript),
    else the PDF base font Helvetica."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    reg, bold = DEJAVU / "DejaVuSans.ttf", DEJAVU / "DejaVuSans-Bold.ttf"
    if reg.exists() and bold.exists():
        if "DejaVuSans" not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont("DejaVuSans", str(reg)))
            pdfmetrics.registerFont(TTFont("DejaVuSans-Bold", str(bold)))
            from reportlab.lib.fonts import addMapping

            addMapping("DejaVuSans", 0, 0, "DejaVuSans")
            addMapping("DejaVuSans", 1, 0, "DejaVuSans-Bold")
            addMapping("DejaVuSans", 0, 1, "DejaVuSans")
            addMapping("DejaVuSans", 1, 1, "DejaVuSans-Bold")
        return "DejaVuSans", "DejaVuSans-Bold"
    return "Helvetica", "Helvetica-Bold"


def clock(t: float | None) -> str:
    return "" if t is None else f"{int(t // 60)}:{t % 60:04.1f}"


def timeline_drawing(analysis: dict, report: Report, width: float, font: str):
    """Turns as bars per role, events and moments as marks; x is time (or turn number)."""
    from reportlab.graphics.shapes import Drawing, Line, Polygon, Rect, String
    from reportlab.lib import colors

    us = F.utterances(analysis)
    timed = F.has_times(analysis)
    roles = [r for r in ROWS if any((u.get("role") if u.get("role") in ROWS else "other") == r for u in us)]
    rows = ["Moments"] + roles
    row_h, left, bottom = 16, 62, 22
    h = bottom + row_h * len(rows) + 8
    d = Drawing(width, h)
    span = max([u.get("end") or 0 for u in us] + [1]) if timed else max(len(us), 1)
    plot_w = width - left - 8

    def x(t):
        return left + plot_w * (t / span)

    def y(row):
        return bottom + row_h * (len(rows) - 1 - rows.index(row))

    for row in rows:
        d.add(String(2, y(row) + 4, ROWS.get(row, row), fontName=font, fontSize=7))
        d.add(Line(left, y(row), left + plot_w, y(row), strokeColor=colors.HexColor("#eeeeee"), strokeWidth=0.5))
    for i, u in enumerate(us):
        role = u.get("role") if u.get("role") in ROWS else "other"
        a, b = (u["start"], u["end"]) if timed else (i, i + 0.9)
        colour = colors.HexColor(_category(u)[1])
        d.add(Rect(x(a), y(role) + 2, max(0.6, x(b) - x(a)), row_h - 5, fillColor=colour, strokeColor=None))
    for e in analysis.get("events") or [] if timed else []:
        if e.get("type") not in EVENTS:
            continue
        role = e.get("by") if e.get("by") in ROWS else "other"
        if role not in rows:
            continue
        cx, cy, col = x(e["at"]), y(role) + row_h - 2, colors.HexColor(EVENTS[e["type"]][2])
        r = 3.5 if e["type"] in ("interruption", "opening_interrupted") else 2.2
        d.add(Polygon([cx - r, cy + r * 1.6, cx + r, cy + r * 1.6, cx, cy], fillColor=col, strokeColor=None))
    for m in report.moments:
        t = m.at if timed else m.utterance
        if t is None:
            continue
        col = colors.HexColor("#1a9850" if m.kind == "example" else "#e66101")
        cx, cy = x(t), y("Moments") + row_h / 2
        pts = [cx - 4, cy - 3, cx + 4, cy - 3, cx, cy + 4] if m.kind == "example" else [cx - 4, cy + 4, cx + 4, cy + 4, cx, cy - 3]
        d.add(Polygon(pts, fillColor=col, strokeColor=None))
    # axis: a tick every 30 s (60 s for long visits) or every 5 turns
    step = (30 if span <= 600 else 60 if span <= 1800 else 300) if timed else 5
    t = 0
    while t <= span:
        d.add(Line(x(t), bottom - 2, x(t), bottom, strokeColor=colors.grey))
        d.add(String(x(t) - 6, bottom - 11, clock(t)[:-2] if timed else str(int(t)), fontName=font, fontSize=6))
        t += step
    d.add(String(left, 1, "time (min:s)" if timed else "turn", fontName=font, fontSize=6, fillColor=colors.grey))
    return d


def render_pdf_bytes(analysis: dict, report: Report, title: str = "Visit feedback report") -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    analysis = F.normalize(analysis)
    font, bold = _fonts()
    base = ParagraphStyle("base", fontName=font, fontSize=8.5, leading=11)
    small = ParagraphStyle("small", parent=base, fontSize=7.5, leading=9.5, textColor=colors.HexColor("#555555"))
    h1 = ParagraphStyle("h1", parent=base, fontName=bold, fontSize=16, leading=20, spaceAfter=4)
    h2 = ParagraphStyle("h2", parent=base, fontName=bold, fontSize=12, leading=15, spaceBefore=8, spaceAfter=4,
                        keepWithNext=1)
    val = ParagraphStyle("val", parent=base, fontName=bold, fontSize=9.5)
    P = lambda text, st=base: Paragraph(escape(text), st)  # noqa: E731

    buf = BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=14 * mm,
                            bottomMargin=14 * mm, title=title, author="visit-analyzer")
    s = report.summary
    meta = [str(s["file"])] if s.get("file") else []
    if s.get("duration"):
        meta.append(f"{s['duration'] / 60:.1f} min")
    meta.append(f"{s.get('utterances', 0)} utterances")
    story = [P(title, h1), P(" \u00b7 ".join(meta), small)]
    for n in report.notes:
        story.append(P("Note: " + n, small))

    story.append(P("Scorecard", h2))
    rating_col = {"good": "#1a9850", "fair": "#b35806", "needs work": "#d73027", "info": "#4575b4", "n/a": "#777777"}
    rows = [[P("Figure", val), P("Value", val), P("Rating", val), P("Reference", val)]]
    for f in report.scorecard:
        rows.append([
            [P(f.label, ParagraphStyle("l", parent=base, fontName=bold)), P(f.why, small)],
            P(f.display, val),
            Paragraph(f'<font color="{rating_col.get(f.rating, "#777777")}">{escape(f.rating)}</font>', val),
            [P(f.reference, base), P(f.detail, small)],
        ])
    tw = doc.width
    table = Table(rows, colWidths=[tw * 0.35, tw * 0.16, tw * 0.15, tw * 0.34], repeatRows=1)
    table.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"), ("LINEBELOW", (0, 0), (-1, -1), 0.3, colors.HexColor("#cccccc")),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f0f0f0"))]))
    story.append(table)

    story.append(P("Timeline", h2))
    story.append(timeline_drawing(analysis, report, doc.width, font))
    story.append(P("Bars: turns (green reflections/empathy, teal partnership, red dismissal, blue open questions, "
                   "orange closed questions, brown advice/information, purple the patient's emotional cues). Red marks: interruptions; grey: overlaps and "
                   "backchannels. Top row: best examples (green) and missed opportunities (orange).", small))

    story.append(P("Moments", h2))
    for kind, head in (("example", "Best examples"), ("missed", "Missed opportunities")):
        story.append(P(head, ParagraphStyle("h3", parent=base, fontName=bold, fontSize=10, spaceBefore=4, keepWithNext=1)))
        ms = [m for m in report.moments if m.kind == kind]
        if not ms:
            story.append(P("None found in this visit.", small))
        for m in ms:
            when = clock(m.at) or f"turn {m.utterance}"
            story.append(KeepTogether([
                P(f"{m.title} \u00b7 {when}", ParagraphStyle("mt", parent=base, fontName=bold, spaceBefore=3)),
                Paragraph(f"<i>{escape(m.text)}</i>", base), P(m.suggestion, base), P(m.why, small)]))

    story.append(P("Annotated transcript", h2))
    for i, u in enumerate(F.utterances(analysis)):
        labs = []
        for t in F.tags_of(u):
            if t["label"] not in labs:
                labs.append(t["label"])
        tags = f' <font color="#4575b4" size="7">[{escape(", ".join(labs))}]</font>' if labs else ""
        when = clock(u.get("start")) or f"#{i}"
        story.append(Paragraph(f'<font color="#888888">{when}</font> <b>{escape((u.get("role") or "other").capitalize())}:</b> '
                               f'{escape(u.get("text", ""))}{tags}', ParagraphStyle("u", parent=base, spaceAfter=2)))
    doc.build(story)
    return buf.getvalue()


def render_pdf(analysis: dict, report: Report, path, title: str = "Visit feedback report") -> None:
    from ..fileio import atomic_write_bytes

    atomic_write_bytes(Path(path), render_pdf_bytes(analysis, report, title))
