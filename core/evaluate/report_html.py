"""A self-contained HTML evaluation report: headline numbers, a confusion-matrix heat map, the
per-class table, and the worst mistakes with thumbnails (images embedded, so the file travels alone).
"""

from __future__ import annotations

import base64
import html
import io
from typing import Callable

from core.evaluate.metrics import Evaluation

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;color:#1d2330;margin:32px auto;max-width:1100px;padding:0 24px}
h1{font-size:24px;margin:0 0 4px} h2{font-size:17px;margin:32px 0 10px} .sub{color:#667085}
.cards{display:flex;gap:12px;margin:20px 0} .card{border:1px solid #e3e6ec;border-radius:10px;padding:12px 16px;min-width:130px}
.card b{display:block;font-size:22px} .card span{color:#667085;font-size:12px}
table{border-collapse:collapse} td,th{padding:6px 10px;text-align:right} th{color:#475467;font-weight:600}
td.l,th.l{text-align:left} tr:nth-child(even) td{background:#f7f8fa}
.cm td{width:44px;height:36px;text-align:center;border:1px solid #fff;font-variant-numeric:tabular-nums}
.cm th.rot{writing-mode:vertical-rl;transform:rotate(180deg);text-align:left;height:90px}
.mist{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:12px}
.mist figure{margin:0;border:1px solid #e3e6ec;border-radius:8px;padding:8px;font-size:12px}
.mist img{width:100%;height:110px;object-fit:contain;background:#f2f4f7;border-radius:4px}
.bad{color:#b42318}
"""


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def _cell_colour(fraction: float, diagonal: bool) -> str:
    # Blue for correct predictions, red for confusions; stronger with the share of the true class.
    alpha = 0.08 + 0.85 * fraction if fraction > 0 else 0.0
    rgb = "47,110,235" if diagonal else "217,45,32"
    return f"background:rgba({rgb},{alpha:.2f});color:{'#fff' if alpha > 0.55 else '#1d2330'}"


def thumbnail_data_uri(image, size: int = 220) -> str:
    """A small JPEG of a PIL image as a data: URI."""
    im = image.copy()
    im.thumbnail((size, size))
    buf = io.BytesIO()
    im.convert("RGB").save(buf, format="JPEG", quality=80)
    return "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode()


def render(
    ev: Evaluation,
    *,
    title: str,
    subtitle: str = "",
    mistake_names: Callable[[int], str] | None = None,
    mistake_thumbnail: Callable[[int], str | None] | None = None,
    max_mistakes: int = 40,
    label_sets: dict[str, Evaluation] | None = None,
) -> str:
    """HTML text. ``mistake_names(index)`` / ``mistake_thumbnail(index)`` map a mistake's index to a
    file name and a data URI (or None). ``label_sets``: a multi-task model's extra label sets, each
    with its accuracy, confusion matrix and per-class table after the main set's."""
    e = html.escape
    out = [f"<!doctype html><html><head><meta charset='utf-8'><title>{e(title)}</title><style>{_CSS}</style></head><body>"]
    out.append(f"<h1>{e(title)}</h1><div class='sub'>{e(subtitle)}</div>")
    out.append("<div class='cards'>")
    for label, value in (
        ("accuracy", _pct(ev.accuracy)),
        ("balanced accuracy", _pct(ev.balanced_accuracy)),
        ("samples evaluated", str(ev.count)),
        ("calibration error (ECE)", _pct(ev.ece)),
        ("mean loss", f"{ev.loss:.3f}"),
    ):
        out.append(f"<div class='card'><b>{value}</b><span>{e(label)}</span></div>")
    out.append("</div>")

    out += _matrix_and_classes(ev)
    for name, set_ev in (label_sets or {}).items():
        out.append(f"<h2>Label set {e(name)}</h2><div class='sub'>{set_ev.count} of these samples are labelled "
                   f"in it.</div><div class='cards'>")
        for label, value in (("accuracy", _pct(set_ev.accuracy)), ("balanced accuracy", _pct(set_ev.balanced_accuracy))):
            out.append(f"<div class='card'><b>{value}</b><span>{e(label)}</span></div>")
        out.append("</div>")
        out += _matrix_and_classes(set_ev)

    out.append(f"<h2>Worst mistakes</h2><div class='sub'>{len(ev.mistakes)} wrong predictions, "
               "highest loss first.</div><div class='mist'>")
    for m in ev.mistakes[:max_mistakes]:
        name = mistake_names(m.index) if mistake_names else f"#{m.index}"
        thumb = mistake_thumbnail(m.index) if mistake_thumbnail else None
        img = f"<img src='{thumb}' alt=''>" if thumb else ""
        out.append(f"<figure>{img}<figcaption><b>{e(m.true_label)}</b> called "
                   f"<span class='bad'>{e(m.predicted_label)}</span> ({_pct(m.confidence)})<br>"
                   f"<span class='sub'>{e(name)}</span></figcaption></figure>")
    out.append("</div></body></html>")
    return "".join(out)


def _matrix_and_classes(ev: Evaluation) -> list[str]:
    e = html.escape
    out = ["<h2>Confusion matrix</h2><div class='sub'>Rows: true class. Columns: predicted class. "
           "Shading: share of the true class.</div><table class='cm'><tr><th></th>"]
    out += [f"<th class='rot'>{e(c)}</th>" for c in ev.classes]
    out.append("</tr>")
    for i, row in enumerate(ev.confusion):
        total = sum(row) or 1
        out.append(f"<tr><th class='l'>{e(ev.classes[i])}</th>")
        for j, n in enumerate(row):
            out.append(f"<td style='{_cell_colour(n / total, i == j)}'>{n or ''}</td>")
        out.append("</tr>")
    out.append("</table>")

    out.append("<h2>Per class</h2><table><tr><th class='l'>class</th><th>precision</th><th>recall</th>"
               "<th>F1</th><th>support</th></tr>")
    for c in ev.per_class:
        out.append(f"<tr><td class='l'>{e(c.name)}</td><td>{_pct(c.precision)}</td><td>{_pct(c.recall)}</td>"
                   f"<td>{_pct(c.f1)}</td><td>{c.support}</td></tr>")
    out.append("</table>")
    return out
