"""The report as one self-contained HTML file: scorecard, timeline (Plotly, its JS inlined),
moments and the annotated transcript. Nothing is fetched over the network when it is opened:
no external scripts, styles, fonts or images. Clicking the timeline scrolls the transcript
to the utterance (the points' customdata)."""
from __future__ import annotations

import json
from html import escape

from . import facts as F
from .model import Report
from .timeline import BEHAVIOUR, CUE, timeline_figure

TAG_COLOURS = {label: colour for label, _, colour in BEHAVIOUR} | {
    "emotional_cue": CUE[1], "affirmation": "#80cdc1", "agenda": "#8073ac"}
RATING_COLOURS = {"good": "#1a9850", "fair": "#f1a340", "needs work": "#d73027", "info": "#4575b4", "n/a": "#9e9e9e"}

CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;margin:2em auto;max-width:1100px;color:#222;padding:0 1em}
h1{margin-bottom:.2em} .meta{color:#666} .note{background:#fff8e1;border-left:4px solid #f1a340;padding:.4em .8em;margin:.4em 0}
table.score{border-collapse:collapse;width:100%} table.score td,table.score th{border-bottom:1px solid #ddd;padding:.45em;text-align:left;vertical-align:top}
.value{font-weight:700;white-space:nowrap;font-size:1.1em} .rating{color:#fff;border-radius:3px;padding:.1em .5em;white-space:nowrap;font-size:.85em}
.why{color:#555;font-size:.9em} .detail{color:#888;font-size:.85em}
.moment{border:1px solid #ddd;border-left:6px solid #999;border-radius:4px;padding:.6em .9em;margin:.6em 0}
.moment.example{border-left-color:#1a9850} .moment.missed{border-left-color:#e66101}
.moment .quote{font-style:italic} .moment .sugg{margin-top:.3em} .moment .why{margin-top:.2em}
.utt{padding:.35em .5em;border-bottom:1px solid #eee} .utt.clinician{background:#f5f8ff} .utt:target{outline:3px solid #fdae61}
.utt .who{font-weight:600;display:inline-block;min-width:7em} .utt .t{color:#888;font-size:.85em;display:inline-block;min-width:4.5em}
.tag{display:inline-block;font-size:.75em;color:#fff;border-radius:3px;padding:0 .4em;margin:0 .2em;cursor:help}
"""

CLICK_JS = """
(function(){var d=document.getElementById('timeline');if(!d||!d.on)return;
d.on('plotly_click',function(e){if(!e.points||!e.points.length)return;var i=e.points[0].customdata;
if(Array.isArray(i))i=i[0];var el=document.getElementById('u'+i);if(el){location.hash='u'+i;el.scrollIntoView({block:'center'});}});})();
"""


def clock(t: float | None) -> str:
    return "" if t is None else f"{int(t // 60)}:{t % 60:04.1f}"


def _scorecard(report: Report) -> str:
    rows = []
    for f in report.scorecard:
        rows.append(
            f'<tr data-key="{escape(f.key)}"><td><b>{escape(f.label)}</b><div class="why">{escape(f.why)}</div></td>'
            f'<td class="value" data-key="{escape(f.key)}">{escape(f.display)}</td>'
            f'<td><span class="rating" style="background:{RATING_COLOURS.get(f.rating, "#999")}">{escape(f.rating)}</span></td>'
            f'<td>{escape(f.reference)}<div class="detail">{escape(f.detail)}</div></td></tr>')
    return ('<table class="score" id="scorecard"><thead><tr><th>Figure</th><th>Value</th><th>Rating</th>'
            '<th>Reference</th></tr></thead><tbody>' + "".join(rows) + "</tbody></table>")


def _moments(report: Report) -> str:
    out = []
    for kind, head in (("example", "Best examples"), ("missed", "Missed opportunities")):
        ms = [m for m in report.moments if m.kind == kind]
        out.append(f"<h3>{head}</h3>")
        if not ms:
            out.append('<p class="meta">None found in this visit.</p>')
        for m in ms:
            when = f'<a href="#u{m.utterance}">{clock(m.at) or f"turn {m.utterance}"}</a>'
            out.append(f'<div class="moment {kind}" data-type="{escape(m.type)}"><b>{escape(m.title)}</b> \u00b7 {when}'
                       f'<div class="quote">{escape(m.text)}</div><div class="sugg">{escape(m.suggestion)}</div>'
                       f'<div class="why">{escape(m.why)}</div></div>')
    return "".join(out)


def _transcript(analysis: dict) -> str:
    out = []
    speakers = {s.get("id"): s for s in analysis.get("speakers") or []}
    for i, u in enumerate(F.utterances(analysis)):
        role = u.get("role") or "other"
        name = role.capitalize()
        label = (speakers.get(u.get("speaker")) or {}).get("label") or u.get("speaker") or ""
        seen, chips = set(), []
        for t in F.tags_of(u):
            if t["label"] in seen:
                continue
            seen.add(t["label"])
            chips.append(f'<span class="tag" style="background:{TAG_COLOURS.get(t["label"], "#777")}" '
                         f'title="{escape(t.get("why", ""))} (score {t.get("score", 0):.2f})">{escape(t["label"])}</span>')
        out.append(f'<div class="utt {escape(role)}" id="u{i}"><span class="t">{clock(u.get("start")) or f"#{i}"}</span>'
                   f'<span class="who" title="{escape(str(label))}">{escape(name)}</span> {escape(u.get("text", ""))} {"".join(chips)}</div>')
    return "".join(out)


def render_html(analysis: dict, report: Report, title: str = "Visit feedback report") -> str:
    analysis = F.normalize(analysis)
    fig = timeline_figure(analysis, report)
    fig.update_layout(clickmode="event")  # a click jumps; selecting would grey out the rest of the page's plot
    plot = fig.to_html(full_html=False, include_plotlyjs=True, div_id="timeline",
                       config={"displaylogo": False, "responsive": True,
                               "toImageButtonOptions": {"format": "png", "filename": "timeline"}})
    s = report.summary
    meta = []
    if s.get("file"):
        meta.append(escape(str(s["file"])))
    if s.get("duration"):
        meta.append(f"{s['duration'] / 60:.1f} min")
    meta.append(f"{s.get('utterances', 0)} utterances")
    meta_line = " \u00b7 ".join(meta)
    notes = "".join(f'<div class="note">{escape(n)}</div>' for n in report.notes)
    # Inside <script> only "<" can end the element or switch the parser's script states
    # ("<!--", "<script"): none is left in the JSON ("\u003c" reads back as "<").
    data = json.dumps(report.to_json(), ensure_ascii=True).replace("<", "\\u003c")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title><style>{CSS}</style></head>
<body>
<h1>{escape(title)}</h1><p class="meta">{meta_line}</p>{notes}
<h2>Scorecard</h2>{_scorecard(report)}
<h2>Timeline</h2><p class="meta">Bars are turns, coloured by what the clinician's turn does; markers show interruptions,
overlaps, backchannels and the moments below. Click a point to jump to it in the transcript.</p>{plot}
<h2>Moments</h2>{_moments(report)}
<h2>Annotated transcript</h2><p class="meta">Hover a tag to see why it was given.</p><div id="transcript">{_transcript(analysis)}</div>
<script type="application/json" id="report-json">{data}</script>
<script>{CLICK_JS}</script>
</body></html>
"""
