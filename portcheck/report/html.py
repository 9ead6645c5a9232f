"""The HTML audit: one self-contained page a manager can open offline and read.

No external asset (style, chart and all are inline; a Content-Security-Policy forbids
scripts and remote loads), and every string from the analysed code goes through the
escaping builder of :mod:`portcheck.report.markup`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from portcheck.inventory import NONE_KNOWN, Inventory
from portcheck.model import CATEGORIES
from portcheck.report.audit import Audit, BlockerGroup, audit, plural, vendored_skipped
from portcheck.report.markup import Child, Markup, element
from portcheck.run import Report
from portcheck.score import PER_API_SCALE, PER_OCCURRENCE_SCALE, ROOT_AREA, WEIGHTS, Area, Bucket

TOP_BLOCKERS = 15
LOCATIONS_SHOWN = 6
DIRECTORIES_SHOWN = 40
FILES_SHOWN = 25
ROWS_SHOWN = 50

CATEGORY_COLOURS = {
    "auto": "#2e9d5b",
    "caution": "#d9a21b",
    "rewrite": "#e0701f",
    "blocker": "#c9302c",
}
BUCKET_COLOURS = {
    "fix": "#2e9d5b",
    "manual": "#7bb661",
    "rewrite": "#e0701f",
    "blocker": "#c9302c",
}
BUCKET_HINTS = {
    "fix": "mechanical rewrites that `portcheck check --fix` applies",
    "manual": "auto or caution touchpoints a person edits in minutes",
    "rewrite": "an Ascend path exists; the code must be changed by hand",
    "blocker": "no known Ascend equivalent; port or fence off",
}
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"

STYLE = """
:root { --ink:#1d2433; --muted:#5b6475; --line:#e3e6ec; --panel:#ffffff; --bg:#f4f6f9; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.5 -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
  sans-serif; color:var(--ink); background:var(--bg); }
header { background:#1f2a44; color:#fff; padding:22px 40px 18px; }
header h1 { margin:0; font-size:22px; font-weight:600; }
header .sub { color:#c5cde0; margin-top:4px; font-size:13px; }
header .sub code { color:#fff; background:rgba(255,255,255,.14); }
main { max-width:1180px; margin:0 auto; padding:24px 40px 48px; }
section { background:var(--panel); border:1px solid var(--line); border-radius:8px;
  padding:20px 24px; margin-bottom:20px; }
h2 { font-size:17px; margin:0 0 4px; }
p.lead { color:var(--muted); margin:0 0 14px; }
.hero { display:grid; grid-template-columns: 230px 1fr; gap:28px; align-items:center; }
.gauge text { font-family:inherit; }
.scores .second { color:var(--muted); margin-top:6px; text-align:center; }
.facts { display:flex; gap:28px; flex-wrap:wrap; margin:6px 0 16px; }
.fact b { display:block; font-size:22px; font-weight:600; }
.fact span { color:var(--muted); font-size:12px; text-transform:uppercase; letter-spacing:.04em; }
.buckets { display:grid; grid-template-columns:repeat(4, 1fr); gap:14px; }
.bucket { border:1px solid var(--line); border-top:4px solid var(--c); border-radius:6px;
  padding:12px 14px; }
.bucket b { font-size:26px; font-weight:600; display:block; }
.bucket .name { font-weight:600; }
.bucket .hint, .bucket .more { color:var(--muted); font-size:12px; }
table { border-collapse:collapse; width:100%; font-size:13px; }
th, td { text-align:left; padding:6px 8px; border-bottom:1px solid var(--line);
  vertical-align:top; }
th { color:var(--muted); font-weight:600; font-size:12px; text-transform:uppercase;
  letter-spacing:.03em; background:#fafbfc; }
td.num, th.num { text-align:right; font-variant-numeric:tabular-nums; }
td.heat { font-weight:600; text-align:right; width:70px; }
code, .mono { font-family:"SFMono-Regular", Menlo, Consolas, "Liberation Mono", monospace;
  font-size:12px; }
code { background:#f1f3f6; padding:1px 4px; border-radius:3px; overflow-wrap:anywhere; }
td.api code { white-space:nowrap; }
td.name code { overflow-wrap:normal; }
td.num, td.heat, th.num { width:1%; white-space:nowrap; }
.scroll { overflow-x:auto; }
.snippet { display:block; color:var(--muted); background:none; padding:0 0 0 4px;
  white-space:pre-wrap; max-width:460px; }
ul.where { margin:0; padding:0; list-style:none; }
ul.where li { margin-bottom:3px; }
td.where { min-width:300px; }
.muted { color:var(--muted); }
.pill { display:inline-block; padding:0 8px; border-radius:10px; color:#fff; font-size:11px;
  font-weight:600; background:var(--c); }
.empty { color:var(--muted); font-style:italic; }
footer { color:var(--muted); font-size:12px; text-align:center; padding-bottom:30px; }
h3 { font-size:14px; margin:18px 0 6px; }
"""


def _number(value: int) -> str:
    return f"{value:,}"


def score_colour(value: float) -> str:
    """Red at 0, amber around 50, green at 100: the heat-map scale of the page."""
    return f"hsl({round(value * 1.2)}, 62%, 42%)"


def _heat_background(value: float) -> str:
    return f"background:hsl({round(value * 1.2)}, 70%, 88%)"


def _gauge(value: float) -> Markup:
    radius = 70
    circumference = 2 * 3.14159265 * radius
    filled = circumference * value / 100
    return element(
        "svg",
        element("title", f"Readiness score {value} out of 100"),
        element("circle", cx=90, cy=90, r=radius, fill="none", stroke="#e8ebf0", stroke_width=16),
        element(
            "circle",
            cx=90,
            cy=90,
            r=radius,
            fill="none",
            stroke=score_colour(value),
            stroke_width=16,
            stroke_linecap="round" if value > 0 else "butt",
            stroke_dasharray=f"{filled:.1f} {circumference:.1f}",
            transform="rotate(-90 90 90)",
        ),
        element(
            "text",
            f"{value:g}",
            x=90,
            y=96,
            text_anchor="middle",
            font_size=40,
            font_weight=700,
            fill="#1d2433",
            id="score",
        ),
        element("text", "of 100", x=90, y=120, text_anchor="middle", font_size=13, fill="#5b6475"),
        class_="gauge",
        width=180,
        height=180,
        viewBox="0 0 180 180",
        role="img",
    )


def _effort_chart(buckets: Sequence[Bucket]) -> Markup:
    """A stacked bar of findings per effort bucket with a legend: the page's chart."""
    width, height = 640, 34
    total = sum(bucket.findings for bucket in buckets)
    segments: list[Markup] = []
    legend: list[Markup] = []
    x = 0.0
    for index, bucket in enumerate(buckets):
        share = bucket.findings / total if total else 0
        if share:
            segments.append(
                element(
                    "rect",
                    element("title", f"{bucket.label}: {bucket.findings}"),
                    x=f"{x:.1f}",
                    y=0,
                    width=f"{width * share:.1f}",
                    height=height,
                    fill=BUCKET_COLOURS[bucket.key],
                )
            )
            if width * share > 36:
                segments.append(
                    element(
                        "text",
                        f"{round(share * 100)}%",
                        x=f"{x + width * share / 2:.1f}",
                        y=22,
                        text_anchor="middle",
                        font_size=13,
                        font_weight=600,
                        fill="#fff",
                    )
                )
        x += width * share
        legend_x = index * 160
        legend.append(
            element(
                "g",
                element(
                    "rect",
                    x=legend_x,
                    y=height + 14,
                    width=12,
                    height=12,
                    rx=2,
                    fill=BUCKET_COLOURS[bucket.key],
                ),
                element(
                    "text",
                    f"{bucket.label} ({_number(bucket.findings)})",
                    x=legend_x + 18,
                    y=height + 24,
                    font_size=12,
                    fill="#1d2433",
                ),
            )
        )
    if not total:
        segments.append(element("rect", x=0, y=0, width=width, height=height, fill="#e8ebf0"))
    return element(
        "svg",
        element("title", "Findings by effort bucket"),
        *segments,
        *legend,
        width="100%",
        viewBox=f"0 0 {width} {height + 32}",
        role="img",
        id="effort-chart",
    )


def _category_bar(area: Area) -> Markup:
    """A small stacked bar of an area's findings by category (the heat map's companion)."""
    width, height = 120, 10
    x = 0.0
    rects = []
    for category in CATEGORIES:
        count = area.by_category[category]
        if count:
            share = width * count / area.findings
            rects.append(
                element(
                    "rect",
                    x=f"{x:.1f}",
                    y=0,
                    width=f"{share:.1f}",
                    height=height,
                    fill=CATEGORY_COLOURS[category],
                )
            )
            x += share
    return element("svg", *rects, width=width, height=height, viewBox=f"0 0 {width} {height}")


def _header(report: Report, root: str) -> Markup:
    scope = root or "."
    return element(
        "header",
        element("h1", "Ascend readiness audit"),
        element(
            "div",
            "Code under ",
            element("code", scope),
            f" · checked against {report.target} on {report.chip} · portcheck {report.version}",
            class_="sub",
        ),
    )


def _hero(view: Audit) -> Markup:
    report = view.report
    counts = report.counts()
    problems = sum(1 for diagnostic in report.diagnostics if diagnostic.severity != "info")
    facts = [
        ("findings", len(report.findings)),
        ("distinct APIs", len({finding.api for finding in report.findings})),
        ("files checked", report.files_checked),
        ("files with findings", len(view.files)),
        ("not analysed", problems),
    ]
    verdict = (
        "No CUDA touchpoint found: nothing to port."
        if not report.findings
        else f"{plural(counts['blocker'], 'blocker')}, {plural(counts['rewrite'], 'rewrite')}, "
        f"{counts['auto']} auto and {counts['caution']} caution findings; "
        f"{_number(report.fixable)} fixed by --fix."
    )
    return element(
        "section",
        element(
            "div",
            element(
                "div",
                _gauge(view.score.per_api),
                element(
                    "div",
                    "per distinct API (used by the gate)",
                    element("br"),
                    element("b", f"{view.score.per_occurrence:g}", id="score-per-occurrence"),
                    " per occurrence",
                    class_="second",
                ),
                class_="scores",
            ),
            element(
                "div",
                element("h2", "Readiness score"),
                element("p", verdict, class_="lead", id="verdict"),
                element(
                    "div",
                    [
                        element(
                            "div",
                            element("b", _number(value)),
                            element("span", label),
                            class_="fact",
                        )
                        for label, value in facts
                    ],
                    class_="facts",
                ),
                _effort_chart(view.effort),
            ),
            class_="hero",
        ),
        id="summary",
    )


def _buckets(buckets: Sequence[Bucket]) -> Markup:
    cards = []
    for bucket in buckets:
        more = f"{plural(bucket.apis, 'API')} in {plural(bucket.files, 'file')}"
        native = (
            element(
                "div",
                f"incl. {plural(bucket.native_lines, 'line')} of CUDA C++",
                class_="more",
                id="native-lines",
            )
            if bucket.native_lines
            else None
        )
        cards.append(
            element(
                "div",
                element("div", bucket.label, class_="name"),
                element("b", _number(bucket.findings)),
                element("div", more, class_="more"),
                native,
                element("div", BUCKET_HINTS[bucket.key], class_="hint"),
                class_="bucket",
                style=f"--c:{BUCKET_COLOURS[bucket.key]}",
                id=f"bucket-{bucket.key}",
            )
        )
    return element(
        "section",
        element("h2", "Effort"),
        element(
            "p",
            "Every finding in one bucket, from free to hardest: what the tool fixes, small "
            "edits, rewrites against an existing Ascend API, and blockers with no Ascend path.",
            class_="lead",
        ),
        element("div", cards, class_="buckets"),
        id="effort",
    )


SNIPPET_CHARACTERS = 120


def _snippet(source: str, *known: str) -> Markup | None:
    """The code at a location, when it says more than the API name or file name does."""
    if not source or any(source == text or text.endswith(f"/{source}") for text in known):
        return None
    shown = source if len(source) <= SNIPPET_CHARACTERS else source[:SNIPPET_CHARACTERS] + "…"
    return element("code", shown, class_="snippet")


def _prose(text: str) -> list[Child]:
    """A message with its `backticked` names set as code, as the text report writes them."""
    parts = text.split("`")
    if len(parts) % 2 == 0:  # an unpaired backtick: show the text as it is
        return [text]
    return [element("code", part) if index % 2 else part for index, part in enumerate(parts)]


def _locations(group: BlockerGroup, root: str) -> Markup:
    shown = [
        element(
            "li",
            _path(f"{finding.path}:{finding.line}", root),
            _snippet(finding.source, group.api, finding.path),
        )
        for finding in group.findings[:LOCATIONS_SHOWN]
    ]
    hidden = len(group.findings) - LOCATIONS_SHOWN
    if hidden > 0:
        shown.append(element("li", f"and {hidden} more", class_="muted"))
    return element("ul", shown, class_="where")


def _message(group: BlockerGroup) -> list[Child]:
    """The group's message; an example of them when its findings say different things."""
    if any(finding.message != group.message for finding in group.findings):
        return ["e.g. ", *_prose(group.message)]
    return _prose(group.message)


def _blockers(groups: Sequence[BlockerGroup], root: str) -> Markup:
    if not groups:
        body: Child = element(
            "p", "No blocker: every touchpoint has an Ascend path.", class_="empty"
        )
    else:
        rows = [
            element(
                "tr",
                element("td", element("code", group.api), class_="api"),
                element("td", _number(len(group.findings)), class_="num"),
                element(
                    "td", _number(group.native_lines) if group.native_lines else "", class_="num"
                ),
                element("td", _locations(group, root), class_="where"),
                element(
                    "td",
                    _message(group),
                    element("div", _prose(group.suggestion or ""), class_="muted"),
                ),
            )
            for group in groups[:TOP_BLOCKERS]
        ]
        body = [
            element(
                "table",
                element(
                    "tr",
                    element("th", "API"),
                    element("th", "uses", class_="num"),
                    element("th", "native lines", class_="num"),
                    element("th", "where"),
                    element("th", "why, and what to do"),
                ),
                rows,
            ),
            _more(len(groups), TOP_BLOCKERS, "blocking APIs"),
        ]
    return element(
        "section",
        element("h2", "Top blockers"),
        element(
            "p",
            "No known Ascend equivalent: port the code (Ascend C, triton-ascend) or keep it on a "
            "CUDA-only path. Largest native code first, then most used.",
            class_="lead",
        ),
        body,
        id="blockers",
    )


def _more(total: int, shown: int, noun: str) -> Markup | None:
    if total <= shown:
        return None
    return element("p", f"Showing {shown} of {_number(total)} {noun}; the JSON report has all.")


def _area_rows(areas: Sequence[Area], name_of: Callable[[Area], Markup]) -> list[Markup]:
    return [
        element(
            "tr",
            element("td", name_of(area), class_="name"),
            element(
                "td",
                f"{area.score.per_api:g}",
                class_="heat",
                style=_heat_background(area.score.per_api),
            ),
            element("td", _number(area.findings), class_="num"),
            [element("td", _number(area.by_category[name]), class_="num") for name in CATEGORIES],
            element("td", _number(area.fixable), class_="num"),
            element("td", _number(area.native_lines) if area.native_lines else "", class_="num"),
            element("td", _category_bar(area)),
        )
        for area in areas
    ]


def _area_table(first: str, areas: Sequence[Area], name_of: Callable[[Area], Markup]) -> Markup:
    heading = element(
        "tr",
        element("th", first),
        element("th", "score", class_="num"),
        element("th", "findings", class_="num"),
        [element("th", name, class_="num") for name in CATEGORIES],
        element("th", "fixable", class_="num"),
        element("th", "native lines", class_="num"),
        element("th", "mix"),
    )
    return element("div", element("table", heading, _area_rows(areas, name_of)), class_="scroll")


WORD_BREAK = Markup("<wbr>")


def _path(path: str, root: str = "") -> Markup:
    """A path (below ``root``, named in the page header) as code that wraps only after ``/``."""
    if root and path.startswith(f"{root}/"):
        path = path[len(root) + 1 :]
    parts = path.split("/")
    pieces: list[Child] = []
    for index, part in enumerate(parts):
        pieces.append(part if index == len(parts) - 1 else f"{part}/")
        pieces.append(WORD_BREAK if index < len(parts) - 1 else None)
    return element("code", pieces)


def _where(view: Audit) -> Markup:
    if not view.files:
        return element(
            "section",
            element("h2", "Where the work is"),
            element("p", "Nothing to do anywhere.", class_="empty"),
            id="where",
        )
    root = view.root or "."

    def directory(area: Area) -> Markup:
        return element(
            "code", f"{root} (files at the top)" if area.name == ROOT_AREA else f"{area.name}/"
        )

    def file(area: Area) -> Markup:
        return _path(area.name, view.root)

    return element(
        "section",
        element("h2", "Where the work is"),
        element(
            "p",
            "Each top-level directory under ",
            element("code", root),
            " scored on its own findings, worst first; the colour of the score is a heat map "
            "(red: most work).",
            class_="lead",
        ),
        _area_table("directory", view.directories[:DIRECTORIES_SHOWN], directory),
        _more(len(view.directories), DIRECTORIES_SHOWN, "directories"),
        element("h3", "Files with the most work (under ", element("code", root), ")"),
        _area_table("file", view.files[:FILES_SHOWN], file),
        _more(len(view.files), FILES_SHOWN, "files"),
        id="where",
    )


def _simple_table(
    headings: Sequence[str], rows: Sequence[Sequence[Child]], empty: str, numeric: int = -1
) -> Child:
    """A table of ``rows`` (the first ROWS_SHOWN); column ``numeric`` is right-aligned."""
    if not rows:
        return element("p", empty, class_="empty")

    def kind(column: int) -> str | None:
        return "num" if column == numeric else None

    return [
        element(
            "table",
            element(
                "tr",
                [
                    element("th", heading, class_=kind(index))
                    for index, heading in enumerate(headings)
                ],
            ),
            [
                element("tr", [element("td", cell, class_=kind(i)) for i, cell in enumerate(row)])
                for row in rows[:ROWS_SHOWN]
            ],
        ),
        _more(len(rows), ROWS_SHOWN, "rows"),
    ]


def _beyond_names(view: Audit) -> Markup | None:
    """Op, dtype and run-time findings on the chip, apart from the CUDA names."""
    sections = view.beyond_names
    if not sections:
        return None
    parts: list[Child] = [
        element(
            "h2",
            "What runs on ",
            element("code", view.report.chip),
            ": operators, dtypes, run-time behaviour",
        )
    ]
    for title, groups in sections:
        rows = [
            (
                element("code", group.api),
                _pill(group.category),
                _number(len(group.findings)),
                _path(f"{group.findings[0].path}:{group.findings[0].line}", view.root),
                group.message,
            )
            for group in groups
        ]
        parts.append(element("h3", title))
        parts.append(
            _simple_table(("API", "category", "uses", "first use", "on the chip"), rows, "", 2)
        )
    return element("section", parts, id="beyond-names")


def _pill(category: str) -> Markup:
    return element("span", category, class_="pill", style=f"--c:{CATEGORY_COLOURS[category]}")


def _inventory(inventory: Inventory, root: str) -> Markup:
    native = _simple_table(
        ("CUDA C++ file", "lines of code"),
        [
            (_path(source.path, root), _number(source.lines))
            for source in inventory.largest_sources()
        ],
        "No .cu/.cuh file.",
        numeric=1,
    )
    builds = _simple_table(
        ("extension build", "where"),
        [
            (element("code", usage.api), _path(str(usage.location), root))
            for usage in inventory.extension_builds
        ],
        "No CUDA extension build.",
    )
    triton = _simple_table(
        ("Triton API", "where"),
        [
            (element("code", usage.api), _path(str(usage.location), root))
            for usage in inventory.triton_kernels
        ],
        "No Triton kernel.",
    )
    requirements = _simple_table(
        ("requirement", "category", "Ascend alternative", "declared in (as written)"),
        [
            (
                element("code", requirement.name),
                _pill(requirement.category),
                requirement.alternative or element("span", NONE_KNOWN, class_="muted"),
                element(
                    "ul",
                    [
                        element("li", _path(str(where), root), _snippet(where.source))
                        for where in requirement.declared_in
                    ],
                    class_="where",
                ),
            )
            for requirement in inventory.requirements
        ],
        "No CUDA-only requirement.",
    )
    return element(
        "section",
        element("h2", "Native code and dependencies"),
        element(
            "p",
            f"{plural(len(inventory.native_sources), 'CUDA C++ file')} "
            f"({plural(inventory.native_lines, 'line')} of code), "
            f"{plural(len(inventory.extension_builds), 'extension build')}, "
            f"{plural(len(inventory.triton_kernels), 'Triton use')}, "
            f"{plural(len(inventory.requirements), 'CUDA-only requirement')}.",
            class_="lead",
        ),
        element("h3", "Dependencies"),
        requirements,
        element("h3", "CUDA C++ sources"),
        native,
        element("h3", "CUDA extension builds"),
        builds,
        element("h3", "Triton kernels"),
        triton,
        id="inventory",
    )


def _diagnostics(report: Report) -> Markup | None:
    problems = [d for d in report.diagnostics if d.severity != "info"]
    if not problems:
        return None
    return element(
        "section",
        element("h2", "Files not analysed"),
        element(
            "p",
            f"{plural(len(problems), 'file')} could not be analysed; their touchpoints are "
            "not in the score.",
            class_="lead",
        ),
        _simple_table(
            ("file", "problem"),
            [(element("code", d.path), d.message) for d in problems],
            "",
        ),
        id="diagnostics",
    )


def _vendored(report: Report) -> Markup | None:
    skipped = vendored_skipped(report)
    if not skipped:
        return None
    return element(
        "section",
        element("h2", "Vendored trees, skipped"),
        element(
            "p",
            "Another project's code, whose CUDA is that project's port: not checked, not "
            "in the score (portcheck check --include-vendored checks it).",
            class_="lead",
        ),
        _simple_table(
            ("tree", "skipped"), [(element("code", d.path), d.message) for d in skipped], ""
        ),
        id="vendored",
    )


def _method() -> Markup:
    weights = ", ".join(f"{name} {weight:g}" for name, weight in WEIGHTS.items())
    return element(
        "section",
        element("h2", "How the score is computed"),
        element(
            "p",
            "penalty = Σ weight(category) with weights ",
            weights,
            "; score = 100 × K / (K + penalty). Per distinct API (K = ",
            f"{PER_API_SCALE:g}",
            ", an API used 1,000 times counts once) and per occurrence (K = ",
            f"{PER_OCCURRENCE_SCALE:g}",
            "). Derived from the findings alone: 100 with no finding, never higher when a finding "
            "is added, and lowered most by a blocker. Effort buckets: fixable findings are "
            "fixed by --fix; other auto and caution findings are small manual edits; rewrite "
            "findings are rewrites; blocker findings are blockers, with the lines of CUDA C++ "
            "behind them.",
        ),
        id="method",
    )


def render(report: Report) -> str:
    view = audit(report)
    title = f"Ascend readiness {view.score.per_api:g}/100 — {view.root or '.'}"
    page = element(
        "html",
        element(
            "head",
            element("meta", charset="utf-8"),
            element("meta", http_equiv="Content-Security-Policy", content=CSP),
            element("meta", name="viewport", content="width=device-width, initial-scale=1"),
            element("title", title),
            element("style", Markup(STYLE)),
        ),
        element(
            "body",
            _header(report, view.root),
            element(
                "main",
                _hero(view),
                _buckets(view.effort),
                _blockers(view.blockers, view.root),
                _beyond_names(view),
                _where(view),
                _inventory(view.inventory, view.root),
                _diagnostics(report),
                _vendored(report),
                _method(),
            ),
            element("footer", "Generated by portcheck — static analysis; no code was executed."),
        ),
        lang="en",
    )
    return f"<!DOCTYPE html>\n{page}\n"
