"""Pictures the bot posts as PNG attachments: /taste's map of the catalog beside a genre profile.

matplotlib through its object API only (a Figure with an Agg canvas per picture, never pyplot), so no
state is shared between requests and pictures can render in threads side by side; the caller runs
taste_png off the event loop. Colours sit on a mid-tone card of their own, so a picture reads the
same in Discord's dark and light themes; its corners are transparent.
"""

from __future__ import annotations

import functools
import io
import logging
import os
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import matplotlib
import numpy as np

matplotlib.use("Agg")  # before anything draws; a no-op when another backend module is not loaded

from matplotlib import font_manager, patheffects  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg  # noqa: E402
from matplotlib.colors import LinearSegmentedColormap, Normalize  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.font_manager import FontProperties  # noqa: E402
from matplotlib.ft2font import FT2Font  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import FancyBboxPatch  # noqa: E402
from matplotlib.text import Text  # noqa: E402
from matplotlib.transforms import Bbox, offset_copy  # noqa: E402

CARD = "#545a70"  # mid-tone: stands apart from Discord's dark (#313338) and light (#ffffff) backgrounds
PANEL = "#464b5f"
INK = "#f4f5fa"
SOFT_INK = "#c9ccd8"
FAINT = "#8a90a8"
MEMBER = "#ffd166"
SERVER = "#9fb4ff"
PICK = "#ff8fab"
SCORES = LinearSegmentedColormap.from_list("scores", ["#ff6b6b", "#ffd166", "#7ae582"])  # 1 red .. 10 green
WIDTH, HEIGHT, DPI = 11.0, 5.6, 100
RATED_LABELS = 5  # the member's highest-scored titles get names on the map
# Marks' drawn half-widths in points: a label never sits on a dot, a star, the ring or the diamond. A name
# over a star, the ring or the diamond reads as theirs: those are kept clear first.
DOT_MARK, STAR_MARK, MEMBER_MARK = 4.0, 7.0, 10.0
# What a label may cover when no spot is clear (_spot's tiers), from none of the marks to any.
CLEAR, PAST_DOTS, PAST_OTHERS, ANYWHERE = range(4)
LABEL_COLUMNS = 30  # a name on the map is cut to this width (in Latin letters; a kana or kanji counts two)
# Past this many titles the member's dots shrink (by the square root of how many more), and their place and
# picks are drawn over them: 5,000 full-size dots were one mass that hid the diamond.
FULL_DOTS = 60
DOT_SIZE, SMALLEST_DOT = 42.0, 6.0
UNDER_STAR = 0.45  # a dot drawn again over a star (_under_stars) keeps this share of its area: the star's points show
# A well-known title this close to a mark of the member's (a fraction of the map's width and height) is not
# drawn: its name beside their dot read as the name of their title ("Shingeki no Kyojin" by a ring of theirs).
LANDMARK_CLEARANCE = 0.05
MEMBER_WORD = "Member"  # who a name stands for when no font can draw a letter of it (an emoji's, a Korean one)
HALO = 2.6  # points: the dark outline round a label's letters, so it reads over dots of any colour
OUTLINE = [patheffects.withStroke(linewidth=HALO, foreground="#262936")]
# Titles and member names come in Japanese too: matplotlib's own DejaVu Sans has no kana or kanji, so
# the first of these Japanese fonts that is installed (the Docker image installs IPA Gothic) fills in,
# glyph by glyph.
JAPANESE_FONTS = ("IPAPGothic", "IPAexGothic", "Noto Sans CJK JP", "Noto Sans JP", "IPAGothic")
FONTS = ("DejaVu Sans", *[name for name in JAPANESE_FONTS
                          if name in {f.name for f in font_manager.fontManager.ttflist}][:1])
# IPA Gothic has no bold: matplotlib draws its regular weight for a bold label, as meant, but logs a warning
# each time it looks (a dozen lines per picture in the bot's log).
logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)


@dataclass(frozen=True)
class Point:
    label: str
    x: float
    y: float
    score: float = 0.0  # rated points: 1-10, or -1 for watched without a score
    # Its name in Latin letters (English, or "Made in Abyss film"), for a label in Japanese script that no
    # installed font draws, so that a top pick's star is always named.
    latin: str | None = None

    @property
    def shown(self) -> str | None:
        """The name the map can draw: its label, else its Latin name; None when no installed font spells either.
        A label too long for the map gives way to a Latin name that fits: two seasons cut to one start read
        alike ("Kaguya-sama wa Kokurasetai: T…" and "…? T…"), their English names do not."""
        spelled = [text for text in (self.label, self.latin) if text and _spelled(text)]
        return next((text for text in spelled if _columns(text) <= LABEL_COLUMNS), spelled[0] if spelled else None)


@dataclass(frozen=True)
class TastePicture:
    """Everything /taste draws; the service fills it, the tests read it."""

    title: str  # "alice's taste"
    subtitle: str
    catalog: list[tuple[float, float]]  # every title on the map, drawn faint
    landmarks: list[Point]  # popular titles, labelled sparsely
    rated: list[Point]  # the member's titles, coloured by score
    picks: list[Point]  # their top picks, marked
    place: tuple[float, float] | None  # where the member sits
    server_place: tuple[float, float] | None
    genres: tuple[str, ...] = ()
    member_shares: tuple[float, ...] = ()
    server_shares: tuple[float, ...] = ()
    axis_notes: tuple[str, str, str, str] = ("", "", "", "")  # what lies left, right, down, up
    who: str = "you"  # the member's name on the picture ("you" when they look at their own)
    liked_without_genres: bool = False  # no genres because none is listed for the titles liked, not none liked
    footer: str = field(default="Near on the map: watched by the same people. Titles placed by a PCA of "
                                "their embeddings.")


def taste_png(picture: TastePicture) -> bytes:
    """The picture as PNG bytes (about 1100 x 560 pixels)."""
    fig = Figure(figsize=(WIDTH, HEIGHT), dpi=DPI, facecolor="none")
    renderer = FigureCanvasAgg(fig).get_renderer()  # measures text as it will be drawn
    fig.patches.append(FancyBboxPatch((0.004, 0.006), 0.992, 0.988, boxstyle="round,pad=0,rounding_size=0.02",
                                      transform=fig.transFigure, facecolor=CARD, edgecolor="none", zorder=-10))
    # The member's name as drawn, everywhere the picture names them: one of nothing but emoji would leave
    # "'s taste map".
    who = _drawable(picture.who) or MEMBER_WORD
    title = picture.title.replace(picture.who, who, 1)
    fig.text(0.03, 0.935, _drawable(title), color=INK, fontsize=17, fontweight="bold", va="center",
             family=FONTS)
    fig.text(0.03, 0.88, picture.subtitle, color=SOFT_INK, fontsize=10.5, va="center")
    fig.text(0.03, 0.035, picture.footer, color=SOFT_INK, fontsize=8.5, va="center")
    grid = fig.add_gridspec(1, 2, width_ratios=(1.75, 1), left=0.03, right=0.975, top=0.83, bottom=0.09, wspace=0.3)
    _map(fig.add_subplot(grid[0]), picture, who, fig, renderer)
    _genres(fig.add_subplot(grid[1]), picture, who, fig, renderer)
    out = io.BytesIO()
    # zlib level 3: a third of the default's encoding time for a few percent more bytes.
    fig.savefig(out, format="png", dpi=DPI, facecolor="none", pil_kwargs={"compress_level": 3})
    return out.getvalue()


def _map(ax, p: TastePicture, who: str, fig: Figure, renderer: RendererAgg) -> None:
    ax.set_facecolor(PANEL)
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_xticks([])
    ax.set_yticks([])
    _frame(ax, p)
    if p.catalog:
        xs, ys = zip(*p.catalog)
        # A line of markers, not a scatter: one colour needs no per-point collection (a third of the time).
        ax.plot(xs, ys, linestyle="none", marker="o", markersize=1.7, markeredgewidth=0, color=FAINT, alpha=0.4,
                zorder=1)
    landmarks = _clear_of_the_member(ax, p)
    if landmarks:
        ax.scatter([m.x for m in landmarks], [m.y for m in landmarks], s=10, c=FAINT, linewidths=0, zorder=2)
    scored = [r for r in p.rated if r.score > 0]
    many = len(p.rated) > FULL_DOTS
    size = max(DOT_SIZE * float(np.sqrt(FULL_DOTS / len(p.rated))), SMALLEST_DOT) if many else DOT_SIZE
    _rated_dots(ax, p.rated, size, many, zorder=8)
    if scored:
        _score_key(ax)
    if p.picks:
        # Over the member's dots and the diamond: a new season's star sits where the season before it is.
        star_z = 10 if many else 9
        ax.scatter([q.x for q in p.picks], [q.y for q in p.picks], s=150, marker="*", c=PICK, edgecolors="#262936",
                   linewidths=0.7, zorder=star_z)
        # And that season's dot is drawn again over the star, inside its points: the star of Frieren's 2nd season
        # hid the 10 the member gave Frieren. A star is wider than a dot, so both show.
        _rated_dots(ax, _under_stars(ax, fig, p.rated, p.picks), size * UNDER_STAR, many, zorder=star_z + 0.5)
    if p.server_place is not None:
        ax.scatter(*p.server_place, s=260, marker="o", facecolors="none", edgecolors=SERVER, linewidths=2.2,
                   zorder=9 if many else 5)
    if p.place is not None:
        # Under a few dots of the member's own, which it would otherwise hide (they gather where it sits); over
        # many, which would hide it.
        ax.scatter(*p.place, s=240, marker="D", c=MEMBER, edgecolors="#262936", linewidths=1.2, zorder=9 if many else 6)
    left, right, down, up = p.axis_notes
    notes = [ax.text(*xy, text, transform=ax.transAxes, color=FAINT, fontsize=8, ha=ha, va=va, rotation=rot,
                     style="italic", zorder=2)
             for text, xy, ha, va, rot in ((left, (0.01, 0.5), "left", "center", 90),
                                           (right, (0.99, 0.5), "right", "center", 90),
                                           (down, (0.5, 0.015), "center", "bottom", 0),
                                           (up, (0.5, 0.985), "center", "top", 0)) if text]
    ring = [Line2D([], [], marker="o", ls="", markerfacecolor="none", markeredgecolor=SERVER, markersize=9,
                   markeredgewidth=2, label="the server")] if p.server_place is not None else []
    handles = [Line2D([], [], marker="D", ls="", color=MEMBER, markersize=8, label=_short(who, 30)), *ring,
               Line2D([], [], marker="*", ls="", color=PICK, markersize=11, label="top picks"),
               Line2D([], [], marker="o", ls="", markerfacecolor="none", markeredgecolor=INK, markersize=6,
                      label="watched, no score")]
    if landmarks:  # drawn apart from the member's own titles, and said to be others'
        handles.append(Line2D([], [], marker="o", ls="", color=FAINT, markersize=4, label="well-known titles"))
    legend = ax.legend(handles=handles, loc="lower left", frameon=True, facecolor=CARD, edgecolor="none",
                       labelcolor=INK, framealpha=0.85, borderpad=0.5, handletextpad=0.3,
                       prop=FontProperties(family=FONTS, size=7.5))
    legend.set_zorder(11)
    # Labels, most important first; one that would cover another, the legend or a note (or leave the
    # map) is left out, but for a pick's: a star always has its name. A title no installed font can
    # spell goes unnamed too: a row of boxes would say nothing.
    rated_labelled = sorted(scored, key=lambda r: -r.score)[:RATED_LABELS]
    texts = {id(q): q.shown for q in (*p.picks, *rated_labelled, *landmarks)}
    short = _shorten_apart([t for t in texts.values() if t is not None])
    named = [(_short(who), *p.place, MEMBER, 10, "bold") if p.place else None,
             ("server", *p.server_place, SERVER, 9, "bold") if p.server_place else None,
             *((short[t], q.x, q.y, PICK, 8.5, "bold") for q in p.picks if (t := texts[id(q)]) is not None)]
    must = [label for label in named if label is not None]  # always named: at worst over a mark
    favourites = [(short[t], r.x, r.y, INK, 8, "normal") for r in rated_labelled if (t := texts[id(r)]) is not None]
    labels = [*must, *favourites,
              *((short[t], m.x, m.y, FAINT, 7, "italic") for m in landmarks if (t := texts[id(m)]) is not None)]
    marks = [(q.x, q.y, DOT_MARK) for q in p.rated] + [(q.x, q.y, STAR_MARK) for q in p.picks] + \
        [(*xy, MEMBER_MARK) for xy in (p.place, p.server_place) if xy is not None]
    key = [Bbox([ax.transAxes.transform(SCORE_KEY[:2]), ax.transAxes.transform(SCORE_KEY[2:])])] if scored else []
    clear = [*key, legend.get_window_extent(renderer), *(note.get_window_extent(renderer) for note in notes)]
    _place_labels(ax, fig, renderer, labels, marks, must=len(must), wide=len(must) + len(favourites), keep_clear=clear)


def _rated_dots(ax, rated: Sequence[Point], size: float, many: bool, zorder: float) -> None:
    """The member's titles as marks of ``size`` (points squared): a ring for one watched without a score, else a dot
    in its score's colour; thinner edges when there are ``many``."""
    watched = [r for r in rated if r.score <= 0]
    scored = [r for r in rated if r.score > 0]
    if watched:
        ax.scatter([r.x for r in watched], [r.y for r in watched], s=size * 2 / 3, facecolors="none", edgecolors=INK,
                   linewidths=0.6 if many else 1.0, zorder=zorder)
    if scored:
        ax.scatter([r.x for r in scored], [r.y for r in scored], s=size, c=[r.score for r in scored], cmap=SCORES,
                   norm=Normalize(1, 10), edgecolors="#262936", linewidths=0 if many else 0.6, zorder=zorder)


def _under_stars(ax, fig: Figure, points: Sequence[Point], stars: Sequence[Point]) -> list[Point]:
    """The ``points`` a star of ``stars`` covers: within its drawn half-width (STAR_MARK) on the map."""
    if not points or not stars:
        return []
    to_px = ax.transData.transform
    at = to_px([(q.x, q.y) for q in points])
    starred = to_px([(q.x, q.y) for q in stars])
    reach = STAR_MARK * fig.dpi / 72.0
    near = (np.hypot(*(at[:, None, :] - starred[None, :, :]).transpose(2, 0, 1)) < reach).any(axis=1)
    return [q for q, hit in zip(points, near.tolist()) if hit]


def _clear_of_the_member(ax, p: TastePicture) -> list[Point]:
    """The landmarks no mark of the member's (their titles, picks, place, the server's) lies near: within
    LANDMARK_CLEARANCE of the map's width and height (the axes' limits, set by _frame)."""
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    mine = np.array([(q.x, q.y) for q in (*p.rated, *p.picks)] + [xy for xy in (p.place, p.server_place) if xy],
                    np.float64).reshape(-1, 2)
    if not len(mine):
        return list(p.landmarks)
    scale = np.array([(x1 - x0) or 1.0, (y1 - y0) or 1.0])
    return [m for m in p.landmarks
            if (np.abs((mine - (m.x, m.y)) / scale) >= LANDMARK_CLEARANCE).any(axis=1).all()]


# Where the score key sits, in axes fractions (left, bottom, right, top): its word, swatches and 1 / 10.
SCORE_KEY = (0.66, 0.89, 1.0, 1.0)
KEY_MARGIN = 0.04  # the diamond's half-width and a little more, in axes fractions of the map


def _score_key(ax) -> None:
    """A row of ten swatches, 1 to 10, in the map's top right corner (cheaper than a colorbar axis)."""
    x0, y, step = 0.985 - 10 * 0.022, 0.955, 0.022
    ax.text(x0 - 0.01, y, "score", transform=ax.transAxes, color=SOFT_INK, fontsize=7.5, ha="right", va="center",
            zorder=12)
    ax.scatter([x0 + step * (k + 0.5) for k in range(10)], [y] * 10, c=list(range(1, 11)), cmap=SCORES,
               norm=Normalize(1, 10), s=38, marker="s", linewidths=0, transform=ax.transAxes, zorder=12,
               clip_on=False)
    for k in (1, 10):
        ax.text(x0 + step * (k - 0.5), y - 0.035, str(k), transform=ax.transAxes, color=SOFT_INK, fontsize=7,
                ha="center", va="center", zorder=12)


def _frame(ax, p: TastePicture) -> None:
    """Limits that hold the catalog's bulk (stray titles may fall outside) and everything of the member."""
    xs = [x for x, _ in p.catalog]
    ys = [y for _, y in p.catalog]
    if xs:
        x0, x1 = np.percentile(xs, [0.5, 99.5])
        y0, y1 = np.percentile(ys, [0.5, 99.5])
    else:
        x0 = x1 = y0 = y1 = 0.0
    mine = [(q.x, q.y) for q in (*p.rated, *p.picks)] + [xy for xy in (p.place, p.server_place) if xy is not None]
    for x, y in mine:
        x0, x1, y0, y1 = min(x0, x), max(x1, x), min(y0, y), max(y1, y)
    dx, dy = (x1 - x0) or 1.0, (y1 - y0) or 1.0
    left, right, bottom, top = x0 - 0.04 * dx, x1 + 0.04 * dx, y0 - 0.12 * dy, y1 + 0.06 * dy  # room for the legend
    if any(q.score > 0 for q in p.rated):
        # The score key (drawn over the map) hides no mark of the member's: the top rises until every
        # mark under the key's columns sits below it, with room for the widest mark (the diamond).
        key_left, key_bottom = SCORE_KEY[0] - KEY_MARGIN, SCORE_KEY[1] - KEY_MARGIN
        for x, y in mine:
            if (x - left) / (right - left) >= key_left and (y - bottom) / (top - bottom) > key_bottom:
                top = bottom + (y - bottom) / key_bottom
    ax.set_xlim(left, right)
    ax.set_ylim(bottom, top)


# A label's look: the member, the server and the picks bold; well-known titles (not the member's) in italics.
FONT_LOOKS: dict[str, tuple[str, Literal["normal", "italic"]]] = {
    "bold": ("bold", "normal"), "normal": ("normal", "normal"), "italic": ("normal", "italic")}
# Where a label may sit beside its point (offset in points, alignment): the four corners, then, for a
# label that must be shown, further out and straight above, below and to the sides.
CORNERS = ((7, 5, "left", "bottom"), (7, -5, "left", "top"), (-7, 5, "right", "bottom"), (-7, -5, "right", "top"))
FURTHER = ((12, 11, "left", "bottom"), (12, -11, "left", "top"), (-12, 11, "right", "bottom"),
           (-12, -11, "right", "top"), (0, 12, "center", "bottom"), (0, -12, "center", "top"),
           (12, 0, "left", "center"), (-12, 0, "right", "center"))
# ... and for a pick's name that finds no room at those (stars beside the diamond), further still.
FARTHEST = ((0, 22, "center", "bottom"), (0, -22, "center", "top"), (20, 20, "left", "bottom"),
            (20, -20, "left", "top"), (-20, 20, "right", "bottom"), (-20, -20, "right", "top"))


def _place_labels(ax, fig: Figure, renderer: RendererAgg, labels: list[tuple[str, float, float, str, float, str]],
                  marks: Sequence[tuple[float, float, float]] = (), must: int = 0, wide: int = 0,
                  keep_clear: Sequence[Bbox] = ()) -> None:
    """Each label beside its point, at the first offset where it covers no label placed before it, none
    of the marks (x, y, half-width in points) and none of the ``keep_clear`` boxes (pixels: the score
    key, the legend, the axis notes), and stays inside the map; left out when none fits.
    The first ``must`` labels (the member, the server, the picks) also try FURTHER offsets, and at
    worst sit over a mark, or at a FARTHEST offset, rather than go unnamed; the first ``wide`` (those and
    the member's best-scored titles: a 10 at the crowded top of the map went unnamed) try FURTHER offsets too."""
    to_px = ax.transData.transform
    box = ax.get_window_extent()
    scale = fig.dpi / 72.0
    dots = [(x - r * scale, y - r * scale, x + r * scale, y + r * scale)
            for (x, y), r in zip(to_px([(m[0], m[1]) for m in marks]) if marks else [], [m[2] for m in marks])]
    # The stars, the ring and the diamond: a name over one of them reads as its name.
    big = [dot for dot, m in zip(dots, marks) if m[2] >= STAR_MARK]
    # The kept-clear boxes count as labels already placed: nothing, not even a pick's name, goes over them.
    texts: list[tuple[float, float, float, float]] = [(b.x0, b.y0, b.x1, b.y1) for b in keep_clear]
    halo = HALO / 2 * scale  # the outline reaches this far past the letters
    for k, (text, x, y, colour, size, font) in enumerate(labels):
        weight, style = FONT_LOOKS[font]
        # Measured as drawn, not guessed from its length: a kanji or a capital is far wider than an average letter.
        probe = Text(0, 0, text, fontsize=size, fontweight=weight, fontstyle=style, family=FONTS, figure=fig)
        w, h = probe.get_window_extent(renderer).size
        px, py = to_px((x, y))
        place = (px, py, w, h, halo, scale, box, texts, dots, big)
        near = [*CORNERS, *FURTHER] if k < max(must, wide) else CORNERS
        chosen = _spot(near, *place, CLEAR)
        if chosen is None and k < must:
            # A pick's name in a crowd (stars beside the diamond) goes further out, or over marks, rather than
            # unnamed: every star keeps its name, however many sit around the member's place. Over a dot before
            # a star, the ring or the diamond, and over its own star before another's.
            chosen = next((found for tier, spots in ((PAST_DOTS, near), (CLEAR, FARTHEST), (PAST_DOTS, FARTHEST),
                                                     (PAST_OTHERS, near), (PAST_OTHERS, FARTHEST), (ANYWHERE, near),
                                                     (ANYWHERE, FARTHEST))
                           if (found := _spot(spots, *place, tier)) is not None), None)
        if chosen is None:
            continue
        rect, (dx, dy, ha, va) = chosen
        texts.append(rect)
        ax.annotate(text, (x, y), xytext=(dx, dy), textcoords="offset points", ha=ha, va=va, color=colour,
                    fontsize=size, fontweight=weight, fontstyle=style, family=FONTS, zorder=10, path_effects=OUTLINE)


def _spot(spots: Sequence[tuple[float, float, str, str]], px: float, py: float, w: float, h: float, halo: float,
          scale: float, box: Bbox, texts: Sequence[tuple[float, float, float, float]],
          dots: Sequence[tuple[float, float, float, float]], big: Sequence[tuple[float, float, float, float]],
          tier: int) -> tuple | None:
    """(rect, spot) of the first of ``spots`` (offset in points, alignment) where a w x h label (pixels; its
    outline ``halo`` further) of the point (px, py) stays in ``box``, covers no placed label, and covers what
    ``tier`` allows: no mark (CLEAR); no star, ring or diamond (the ``big`` marks: PAST_DOTS); none but those
    at its point (its own star, and the diamond it sits on: PAST_OTHERS); any (ANYWHERE). None when none fits."""
    own = (px - 1, py - 1, px + 1, py + 1)
    kept = {CLEAR: dots, PAST_DOTS: big, PAST_OTHERS: [d for d in big if not _overlap(own, d)], ANYWHERE: []}[tier]
    for dx, dy, ha, va in spots:
        left = px + dx * scale - {"left": 0.0, "center": w / 2, "right": w}[ha]
        bottom = py + dy * scale - {"bottom": 0.0, "center": h / 2, "top": h}[va]
        rect = (left - halo, bottom - halo, left + w + halo, bottom + h + halo)
        if box.x0 <= rect[0] and rect[2] <= box.x1 and box.y0 <= rect[1] and rect[3] <= box.y1 \
                and not any(_overlap(rect, t) for t in texts) and not any(_overlap(rect, d) for d in kept):
            return rect, (dx, dy, ha, va)
    return None


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _columns(text: str) -> int:
    """How wide a name reads, in Latin letters: a kana or kanji takes two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _cut(text: str, columns: int) -> str:
    """The longest start of ``text`` that is at most ``columns`` wide."""
    while _columns(text) > columns:
        text = text[:-1]
    return text.rstrip()


def _short(name: str, limit: int = LABEL_COLUMNS) -> str:
    return name if _columns(name) <= limit else _cut(name, limit - 1) + "…"


def _shorten_apart(names: Sequence[str], limit: int = LABEL_COLUMNS) -> dict[str, str]:
    """name -> label of at most ``limit`` columns, two names never the same label: where two cut
    to one ("Code Geass: Hangyaku no Lelou…" for both seasons), each keeps the end that tells it apart
    ("Code Geass: Hangyaku no Le… R2")."""
    out = {name: _short(name, limit) for name in names}
    by_label: dict[str, list[str]] = {}
    for name in dict.fromkeys(names):
        by_label.setdefault(out[name], []).append(name)
    for group in by_label.values():
        if len(group) < 2:
            continue
        common = len(os.path.commonprefix(group))
        for name in group:
            tail = name[common:][-(limit // 3):].strip()
            if tail and _columns(name) > limit:
                out[name] = _cut(name, limit - _columns(tail) - 2) + "… " + tail
    return out


@functools.cache
def _glyphs() -> frozenset[int]:
    """Every character some font of FONTS can draw."""
    paths = {font_manager.findfont(FontProperties(family=name)) for name in FONTS}
    return frozenset(code for path in paths for code in FT2Font(path).get_charmap())


def _spelled(text: str) -> bool:
    """Whether some font of FONTS draws every character of ``text`` (not kana where no Japanese font
    is installed), rather than a box."""
    glyphs = _glyphs()
    return all(ord(c) in glyphs for c in text if not c.isspace())


def _drawable(text: str) -> str:
    """A member's name without the characters no font of FONTS has (an emoji, Hangul where no Korean font is
    installed: a row of boxes reads as a broken picture), or "" when no letter or digit of it is left (the
    picture then says MEMBER_WORD; the embed above it names the member as Discord does)."""
    kept = " ".join("".join(c for c in text if _spelled(c)).split())
    return kept if any(unicodedata.category(c)[0] in "LN" for c in kept) else ""


def _genres(ax, p: TastePicture, who: str, fig: Figure, renderer: RendererAgg) -> None:
    ax.set_facecolor(PANEL)
    for spine in ax.spines.values():
        spine.set_visible(False)
    # A row above the panel for the key below the title, so that a long member name never overlaps the title.
    ax.set_title("Genres liked", color=INK, fontsize=11, loc="left", pad=19 if p.genres else 6)
    if not p.genres:
        ax.set_xticks([])
        ax.set_yticks([])
        ax.text(0.5, 0.5, "No genres known yet\nfor the titles liked" if p.liked_without_genres else
                "Rate a few titles you liked\nto see your genres", color=SOFT_INK, ha="center", va="center",
                transform=ax.transAxes, fontsize=10)
        return
    rows = list(range(len(p.genres)))[::-1]
    # The member's bar above the server's; alone (no server shares: nobody else has ratings) it is centred.
    height, lift = (0.38, 0.19) if p.server_shares else (0.5, 0.0)
    # Shares a few points past their bar's end, genre names a few points before the bars' zero.
    after = offset_copy(ax.transData, fig, x=3, units="points")
    before = offset_copy(ax.transData, fig, x=-4, units="points")
    for shares, offset, colour, ink, label in ((p.member_shares, lift, MEMBER, INK, _short(who, 20)),
                                              (p.server_shares, -lift, SERVER, SOFT_INK, "the server")):
        if not shares:
            continue
        ax.barh([r + offset for r in rows], [100 * s for s in shares], height=height, color=colour, label=label)
        for r, share in zip(rows, shares):
            ax.text(100 * share, r + offset, f"{share:.0%}", color=ink, fontsize=7.5, va="center", transform=after)
    ax.set_yticks([])
    ax.set_xticks([])
    names = [ax.text(0, r, _short(genre, 16), color=INK, fontsize=9, ha="right", va="center", transform=before)
             for r, genre in zip(rows, p.genres)]
    # The panel's left part holds the names: as wide a share of it as the widest name needs, with its
    # 4 points' gap on either side, so none runs out of the panel (a fixed share is too narrow for "Award Winning").
    widest = max(name.get_window_extent(renderer).width for name in names)
    room = (widest + 8 * fig.dpi / 72) / ax.get_window_extent().width
    top = max([*p.member_shares, *p.server_shares, 0.1]) * 100
    ax.set_xlim(-top * 1.2 * room / (1 - room), top * 1.2)
    ax.set_ylim(-0.7, len(rows) - 0.3)
    for x in range(0, int(top) + 1, 10 if top < 60 else 20):
        ax.axvline(x, color=CARD, linewidth=0.8, zorder=0)
        ax.text(x, -0.62, f"{x}%", color=SOFT_INK, fontsize=7.5, ha="center", va="bottom")
    ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=2, frameon=False, labelcolor=INK,
              borderaxespad=0.2, handlelength=1.2, columnspacing=1.0, prop=FontProperties(family=FONTS, size=8))
