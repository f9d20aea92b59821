"""features/community/pictures.py: /taste's picture renders to a valid, small PNG, in threads side by side,
without pyplot, on a card readable in Discord's dark and light themes, its labels inside it and apart."""

import io
import itertools
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.transforms import Bbox
from PIL import Image

from animerec.bot.features.community import pictures
from animerec.bot.features.community.pictures import Point, TastePicture, taste_png

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
DISCORD_DARK, DISCORD_LIGHT = "#313338", "#ffffff"


def planted(n_catalog: int = 4000, seed: int = 0) -> TastePicture:
    rng = np.random.default_rng(seed)
    catalog = [tuple(p) for p in rng.normal(size=(n_catalog, 2)).tolist()]
    rated = [Point(f"Rated title {i}", *rng.normal(size=2).tolist(), score=float(s))
             for i, s in enumerate([10, 9, 9, 8, 7, 6, 3, -1, -1, 10])]
    return TastePicture(
        title="alice's taste map", subtitle="10 titles rated or watched · server: 12 members with ratings",
        catalog=catalog,
        landmarks=[Point(f"Landmark {i}", *rng.normal(size=2).tolist()) for i in range(10)],
        rated=rated, picks=[Point(f"Pick {i} with a rather long name that goes on and on", 0.1 * i, 0.2)
                            for i in range(3)],
        place=(0.2, 0.1), server_place=(0.0, 0.0), genres=("Comedy", "Drama", "Psychological"),
        member_shares=(0.5, 0.3, 0.4), server_shares=(0.6, 0.3, 0.1),
        axis_notes=("more Comedy", "more Action", "more Romance", "more Sci-Fi"), who="alice")


def test_the_picture_is_a_png_of_the_expected_size_and_weight():
    png = taste_png(planted())
    assert png.startswith(PNG_MAGIC) and len(png) < 500_000
    image = Image.open(io.BytesIO(png))
    image.verify()
    assert Image.open(io.BytesIO(png)).size == (1100, 560)


def test_corners_are_transparent_and_the_card_is_opaque():
    image = Image.open(io.BytesIO(taste_png(planted()))).convert("RGBA")
    assert image.getpixel((0, 0))[3] == 0
    r, g, b, a = image.getpixel((550, 8))  # the card's top margin
    assert a == 255 and (r, g, b) == Image.new("RGB", (1, 1), pictures.CARD).getpixel((0, 0))


def _luminance(colour: str) -> float:
    rgb = np.array(Image.new("RGB", (1, 1), colour).getpixel((0, 0))) / 255
    lin = np.where(rgb <= 0.03928, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    return float(lin @ [0.2126, 0.7152, 0.0722])


def _contrast(a: str, b: str) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def test_colours_read_on_the_card_and_the_card_stands_apart_in_both_themes():
    for ink in (pictures.INK, pictures.SOFT_INK, pictures.MEMBER, pictures.SERVER, pictures.PICK):
        for ground in (pictures.CARD, pictures.PANEL):
            assert _contrast(ink, ground) >= 3.0, (ink, ground)
    assert _contrast(pictures.INK, pictures.CARD) >= 4.5  # body text: WCAG AA
    assert _contrast(pictures.CARD, DISCORD_DARK) >= 1.5 and _contrast(pictures.CARD, DISCORD_LIGHT) >= 4.5


def test_pictures_render_in_threads_side_by_side_alike():
    picture = planted(seed=3)
    alone = taste_png(picture)
    with ThreadPoolExecutor(4) as pool:
        together = list(pool.map(taste_png, [picture] * 4))
    assert together == [alone] * 4


def test_labels_never_cover_each_other_and_the_member_is_always_named(monkeypatch):
    placed = []
    original = Axes.annotate

    def spy(self, text, xy, *args, **kwargs):
        placed.append(text)
        return original(self, text, xy, *args, **kwargs)

    monkeypatch.setattr(Axes, "annotate", spy)
    taste_png(planted())
    assert placed[:2] == ["alice", "server"]
    assert any(t.startswith("Pick 0") for t in placed) and all(len(t) <= 30 for t in placed)
    crowded = planted()
    pile = [Point(f"Same spot {i}", 0.5, 0.5, score=9.0) for i in range(8)]
    placed.clear()
    taste_png(TastePicture(**{**crowded.__dict__, "rated": pile, "landmarks": []}))
    assert sum(t.startswith("Same spot") for t in placed) <= 4  # four corners around one point at most


def test_an_empty_profile_and_no_ratings_still_render(monkeypatch):
    """Nothing to name on the map, and the genre panel asks for ratings instead of drawing bars."""
    placed, written = [], []
    annotate, text = Axes.annotate, Axes.text

    def spy_annotate(self, label, *args, **kwargs):
        placed.append(label)
        return annotate(self, label, *args, **kwargs)

    def spy_text(self, x, y, s, *args, **kwargs):
        written.append(s)
        return text(self, x, y, s, *args, **kwargs)

    monkeypatch.setattr(Axes, "annotate", spy_annotate)
    monkeypatch.setattr(Axes, "text", spy_text)
    picture = TastePicture(title="bob's taste map", subtitle="", catalog=[], landmarks=[], rated=[], picks=[],
                           place=None, server_place=None)
    assert taste_png(picture).startswith(PNG_MAGIC)
    assert placed == [] and written == ["Rate a few titles you liked\nto see your genres"]


def test_rendering_never_loads_pyplot():
    code = ("import sys; from animerec.bot.features.community.pictures import Point, TastePicture, taste_png; "
            "taste_png(TastePicture('t', 's', [(0.0, 0.0), (1.0, 1.0)], [Point('a', 0.0, 0.0)], "
            "[Point('b', 1.0, 1.0, score=9.0)], [], (0.5, 0.5), None, ('Drama',), (1.0,), (0.5,))); "
            "print('matplotlib.pyplot' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def _placed(monkeypatch) -> list[tuple[str, tuple[float, float]]]:
    placed: list[tuple[str, tuple[float, float]]] = []
    original = Axes.annotate

    def spy(self, text, xy, *args, **kwargs):
        placed.append((text, tuple(xy)))
        return original(self, text, xy, *args, **kwargs)

    monkeypatch.setattr(Axes, "annotate", spy)
    return placed


def test_every_pick_is_named_and_no_label_sits_under_the_members_marker(monkeypatch):
    placed = _placed(monkeypatch)
    base = planted()
    # The member's titles crowd around their place, and the picks sit among them.
    crowd = [Point(f"Crowd {i}", 0.2 + 0.03 * np.cos(i), 0.1 + 0.03 * np.sin(i), score=9.0) for i in range(12)]
    picks = [Point(f"Pick {i}", 0.2 + 0.02 * i, 0.12) for i in range(3)]
    under = Point("Under the diamond", *base.place)
    taste_png(TastePicture(**{**base.__dict__, "rated": crowd, "picks": picks, "landmarks": [under]}))
    texts = [t for t, _ in placed]
    assert all(f"Pick {i}" in texts for i in range(3))
    assert "Under the diamond" not in texts


def test_two_titles_that_cut_to_one_label_keep_what_tells_them_apart(monkeypatch):
    placed = _placed(monkeypatch)
    seasons = [Point("Code Geass: Hangyaku no Lelouch", -1.5, 1.5, score=9.0),
               Point("Code Geass: Hangyaku no Lelouch R2", 1.5, -1.5, score=10.0)]
    taste_png(TastePicture(**{**planted().__dict__, "rated": seasons, "landmarks": []}))
    labels = [t for t, _ in placed if t.startswith("Code Geass")]
    assert len(labels) == 2 and len(set(labels)) == 2 and all(len(t) <= 30 for t in labels)
    assert any(t.endswith("R2") for t in labels)


def test_no_label_covers_the_score_key(monkeypatch):
    annotations = []
    original = Axes.annotate

    def spy(self, text, xy, *args, **kwargs):
        annotations.append((self, original(self, text, xy, *args, **kwargs)))
        return annotations[-1][1]

    monkeypatch.setattr(Axes, "annotate", spy)
    base = planted()
    # Landmarks all over the map's top right, where the key sits.
    xs, ys = zip(*base.catalog)
    corner = [Point(f"Corner {i}", float(np.quantile(xs, q)), float(np.quantile(ys, r)))
              for i, (q, r) in enumerate((q, r) for q in (0.9, 0.95, 0.99) for r in (0.9, 0.95, 0.99))]
    png = taste_png(TastePicture(**{**base.__dict__, "landmarks": corner}))
    assert png.startswith(PNG_MAGIC) and annotations
    key_left, key_bottom, key_right, key_top = pictures.SCORE_KEY
    placed_in_corner = 0
    for ax, note in annotations:
        box = note.get_window_extent().transformed(ax.transAxes.inverted())
        assert box.x1 <= key_left or box.x0 >= key_right or box.y1 <= key_bottom or box.y0 >= key_top, \
            note.get_text()
        placed_in_corner += note.get_text().startswith("Corner")
    assert placed_in_corner  # the corner's titles are named where there is room, not dropped wholesale


# Real titles as the catalog names them: long romaji, and Japanese ones (a kanji is twice a letter's width).
LONG_TITLES = ("Shingeki no Kyojin: The Final Season Part 2", "Kaguya-sama wa Kokurasetai: Ultra Romantic",
               "Yahari Ore no Seishun Love Comedy wa Machigatteiru. Kan", "Kimetsu no Yaiba: Yuukaku-hen")
JAPANESE_TITLES = ("劇場版プリパラ み～んなでかがやけ！キラリン☆スターライブ！",
                   "スーパーダンガンロンパ2.5 狛枝凪斗と世界の破壊者", "ガールズ&パンツァー 最終章 第1話",
                   "神様はじめました「神様、幸せになる」")


def _drawn(monkeypatch, picture: TastePicture) -> dict[str, Bbox]:
    """The map's labels as drawn, by text, with their extents in pixels, once each is checked to lie
    inside the picture and to cover neither another label nor the legend."""
    notes = []
    original = Axes.annotate

    def spy(self, text, xy, *args, **kwargs):
        notes.append(original(self, text, xy, *args, **kwargs))
        return notes[-1]

    monkeypatch.setattr(Axes, "annotate", spy)
    taste_png(picture)
    fig = notes[0].figure
    renderer = fig.canvas.get_renderer()
    extents = {note.get_text(): note.get_window_extent(renderer) for note in notes}
    legend = fig.axes[0].get_legend().get_window_extent(renderer)
    for text, extent in extents.items():
        assert fig.bbox.x0 <= extent.x0 and extent.x1 <= fig.bbox.x1, (text, extent)
        assert fig.bbox.y0 <= extent.y0 and extent.y1 <= fig.bbox.y1, (text, extent)
        assert not extent.overlaps(legend), text
    for (a, box_a), (b, box_b) in itertools.combinations(extents.items(), 2):
        assert not box_a.overlaps(box_b), (a, b)
    return extents


def _frame_corners(picture: TastePicture) -> tuple[float, float, float, float]:
    xs, ys = zip(*picture.catalog)
    (x0, x1), (y0, y1) = np.percentile(xs, [0.5, 99.5]), np.percentile(ys, [0.5, 99.5])
    return x0, x1, y0, y1


def test_long_labels_at_the_maps_corners_stay_inside_the_picture(monkeypatch):
    base = planted()
    x0, x1, y0, y1 = _frame_corners(base)
    corners = [Point(t, x, y, score=10.0) for t, (x, y) in zip(LONG_TITLES, ((x0, y1), (x1, y0), (x0, y0), (x1, y1)))]
    # Top middle, beside the score key: the only room is to the left, narrower than the title.
    wide = Point(JAPANESE_TITLES[0], (x0 + x1) / 2, y1, score=10.0)
    picks = [Point(t, x, (y0 + y1) / 2) for t, x in zip(JAPANESE_TITLES[1:3], (x0, x1))]
    extents = _drawn(monkeypatch, TastePicture(**{**base.__dict__, "rated": [*corners, wide], "picks": picks,
                                                  "landmarks": []}))
    # Measured, not guessed from their length, the labels keep off the legend (the bottom left title went
    # under it) and inside the picture (a Japanese title, twice as wide as its length said, ran off it).
    # The corners the legend and the score key leave free have their titles named.
    assert any(t.startswith("Shingeki no Kyojin") for t in extents)
    assert any(t.startswith("Kaguya-sama") for t in extents)
    japanese = {pictures._short(p.label) for p in picks} & set(extents)
    if len(pictures.FONTS) > 1:  # a Japanese font is installed (the Docker image's): the picks are named
        assert len(japanese) == 2, sorted(extents)
    else:  # none: a title that would be a row of boxes is left unnamed
        assert not japanese


def test_crowded_labels_cover_neither_each_other_nor_the_legend(monkeypatch):
    base = planted()
    x0, x1, y0, y1 = _frame_corners(base)
    # The member's titles crowd the map's lower left, above the legend, with the picks among them.
    at = (x0 + 0.3 * (x1 - x0), y0 + 0.3 * (y1 - y0))
    titles = LONG_TITLES + JAPANESE_TITLES
    crowd = [Point(t, at[0] + 0.5 * np.cos(i), at[1] + 0.4 * np.sin(i), score=10.0 - i % 3)
             for i, t in enumerate(titles)]
    picks = [Point(t, at[0] + 0.3 * i - 0.3, at[1] - 0.2) for i, t in enumerate(("Violet Evergarden Movie",
                                                                                 *JAPANESE_TITLES[2:]))]
    extents = _drawn(monkeypatch, TastePicture(
        **{**base.__dict__, "rated": crowd, "picks": picks, "place": at, "server_place": (at[0] + 0.2, at[1] + 0.1),
           "landmarks": [Point(t, at[0] - 0.2 * i, at[1] + 0.3) for i, t in enumerate(LONG_TITLES)]}))
    assert {"alice", "server", "Violet Evergarden Movie"} <= set(extents) and len(extents) >= 5


def _figure_texts(monkeypatch) -> list[str]:
    """The texts the picture writes on its figure (title, subtitle, footer), as they are drawn."""
    texts: list[str] = []
    original = Figure.text

    def spy(self, x, y, s, *args, **kwargs):
        texts.append(s)
        return original(self, x, y, s, *args, **kwargs)

    monkeypatch.setattr(Figure, "text", spy)
    return texts


def test_a_name_no_font_can_draw_stands_as_member_and_the_picks_keep_their_names(monkeypatch):
    base = planted()
    texts = _figure_texts(monkeypatch)
    who = "💙💙"
    assert pictures._drawable(who) == ""
    extents = _drawn(monkeypatch, TastePicture(**{**base.__dict__, "who": who, "title": f"{who}'s taste map"}))
    assert "Member's taste map" in texts
    # The member's label counts among those always named, the pick's too, whatever the rest.
    assert pictures.MEMBER_WORD in extents and all(pictures._short(p.label) in extents for p in base.picks)


def test_names_are_cut_to_their_width_and_an_emoji_is_left_out():
    # 30 characters, as wide as 58 letters: cut to half the length a romaji title keeps.
    assert pictures._short(JAPANESE_TITLES[0]) == "劇場版プリパラ み～んなでかが…"
    assert pictures._short(LONG_TITLES[0]) == "Shingeki no Kyojin: The Final…"
    assert pictures._drawable("Rem 💙 fan") == "Rem fan"  # no font has it: it would draw as a box


def test_letters_no_installed_font_draws_are_left_out_of_a_name_and_none_left_stands_as_member(monkeypatch):
    # The fonts this machine has, whatever is installed: DejaVu Sans, no Hangul.
    monkeypatch.setattr(pictures, "FONTS", ("DejaVu Sans",))
    pictures._glyphs.cache_clear()
    try:
        assert pictures._drawable("민수 Kim") == "Kim"
        assert pictures._drawable("민수") == "" and pictures._drawable("민수 ✦ ...") == ""
        assert pictures._drawable("Émilie 2") == "Émilie 2"
        texts = _figure_texts(monkeypatch)
        taste_png(TastePicture(**{**planted().__dict__, "who": "민수", "title": "민수's taste map"}))
        assert "Member's taste map" in texts and not any("민" in t for t in texts)
    finally:
        pictures._glyphs.cache_clear()


def test_a_member_alone_in_the_server_is_drawn_without_a_server_to_compare_with(monkeypatch):
    """With no other member's ratings the server's ring and bars would be the member's own: neither is
    drawn, nor named in a legend, and each genre has the member's bar alone."""
    legends, bars = [], []
    legend, barh = Axes.legend, Axes.barh

    def spy_legend(self, *args, **kwargs):
        legends.append(legend(self, *args, **kwargs))
        return legends[-1]

    def spy_barh(self, y, width, *args, **kwargs):
        bars.append((kwargs.get("label"), list(width)))
        return barh(self, y, width, *args, **kwargs)

    monkeypatch.setattr(Axes, "legend", spy_legend)
    monkeypatch.setattr(Axes, "barh", spy_barh)
    alone = TastePicture(**{**planted().__dict__, "server_place": None, "server_shares": ()})
    assert taste_png(alone).startswith(PNG_MAGIC)
    labels = [t.get_text() for box in legends for t in box.get_texts()]
    assert "the server" not in labels and "alice" in labels
    assert bars == [("alice", [50.0, 30.0, 40.0])]
    legends.clear(), bars.clear()
    taste_png(planted())  # with others: both
    assert [label for label, _ in bars] == ["alice", "the server"]
    assert sum(t.get_text() == "the server" for box in legends for t in box.get_texts()) == 2


def _maps_drawn(monkeypatch) -> list[Axes]:
    """The map axes of each picture drawn from now on, as _frame gets them (its limits are set then)."""
    maps: list[Axes] = []
    frame = pictures._frame

    def spy(ax, p):
        maps.append(ax)
        frame(ax, p)

    monkeypatch.setattr(pictures, "_frame", spy)
    return maps


def test_the_score_key_hides_none_of_the_members_marks(monkeypatch):
    """The member's place, a pick and a rated title in the map's top right corner, where the key is drawn:
    the frame rises so that each lies below the key, clear of it by the diamond's half-width."""
    maps = _maps_drawn(monkeypatch)
    base = planted()
    xs, ys = zip(*base.catalog)
    corner = (float(np.percentile(xs, 99.5)), float(np.percentile(ys, 99.5)))
    picture = TastePicture(**{**base.__dict__, "place": corner,
                              "picks": [Point("Pick in the corner", corner[0] - 0.05, corner[1] - 0.02)],
                              "rated": [*base.rated, Point("Rated in the corner", corner[0], corner[1] + 0.1, 9.0)]})
    taste_png(picture)
    (ax,) = maps
    marks = [picture.place, (picture.picks[0].x, picture.picks[0].y), (picture.rated[-1].x, picture.rated[-1].y)]
    key_left, key_bottom = pictures.SCORE_KEY[:2]
    for x, y in ax.transLimits.transform(marks):  # data to axes fractions
        assert x >= key_left - pictures.KEY_MARGIN  # under the key's columns, as planted
        assert y <= key_bottom - pictures.KEY_MARGIN + 1e-9


def test_a_favourite_whose_four_corners_are_taken_is_named_further_out(monkeypatch):
    """Dots on each of the four corners beside a rated title (the crowded top of a map held the member's 10
    unnamed): as one of the first ``wide`` labels it takes a place further out; past them it is left out."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.text import Text

    def placed(wide: int) -> list[tuple[str, tuple]]:
        fig = Figure(figsize=(4, 4), dpi=100)
        renderer = FigureCanvasAgg(fig).get_renderer()
        ax = fig.add_subplot()
        ax.set_xlim(0, 1), ax.set_ylim(0, 1)
        label = ("Favourite title", 0.5, 0.5, "#ffffff", 8, "normal")
        w, h = Text(0, 0, label[0], fontsize=8, family=pictures.FONTS, figure=fig).get_window_extent(renderer).size
        pt = fig.dpi / 72
        px, py = ax.transData.transform((0.5, 0.5))
        corners = [(px + sx * (7 * pt + w / 2), py + sy * (5 * pt + h / 2)) for sx in (1, -1) for sy in (1, -1)]
        marks = [(*ax.transData.inverted().transform(xy), 3.0) for xy in corners]
        notes: list[tuple[str, tuple]] = []
        original = Axes.annotate

        def spy(self, text, xy, *args, **kwargs):
            notes.append((text, kwargs["xytext"]))
            return original(self, text, xy, *args, **kwargs)

        monkeypatch.setattr(Axes, "annotate", spy)
        pictures._place_labels(ax, fig, renderer, [label], marks, must=0, wide=wide)
        return notes

    assert placed(wide=0) == []
    [(text, offset)] = placed(wide=1)
    assert text == "Favourite title" and offset not in [c[:2] for c in pictures.CORNERS]


def test_a_picks_name_boxed_in_at_every_near_spot_goes_further_out_rather_than_unnamed():
    """Everything within 14 points of a star is taken (other names, the diamond): its name goes 20 points out,
    where an old-school fan's third star beside the diamond went unnamed; a title not a pick's stays unnamed."""
    fig = Figure(figsize=(4, 4), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    renderer = fig.canvas.get_renderer()
    cx, cy = ax.transData.transform((0.5, 0.5))
    r = 14 * fig.dpi / 72
    taken = Bbox([[cx - r, cy - r], [cx + r, cy + r]])
    for must in (1, 0):
        for text in list(ax.texts):
            text.remove()
        pictures._place_labels(ax, fig, renderer, [("Samurai Champloo", 0.5, 0.5, "red", 8.5, "bold")],
                               must=must, wide=must, keep_clear=[taken])
        assert [t.get_text() for t in ax.texts] == (["Samurai Champloo"] if must else [])
        if must:
            assert not ax.texts[0].get_window_extent(renderer).overlaps(taken)


def test_a_well_known_title_beside_a_title_of_the_members_is_not_drawn_so_its_name_is_never_read_as_theirs(
        monkeypatch):
    placed = _placed(monkeypatch)
    base = planted()
    mine = base.rated[0]
    beside = Point("Beside their dot", mine.x + 0.02, mine.y + 0.02)
    marks = np.array([(q.x, q.y) for q in (*base.rated, *base.picks)] + [base.place, base.server_place])
    grid = [(x, y) for x in np.linspace(-2, 2, 9) for y in np.linspace(-1.5, 1.5, 7)]  # inside the map
    apart = Point("Far from anything", *max(grid, key=lambda xy: np.abs(marks - xy).max(axis=1).min()))
    taste_png(TastePicture(**{**base.__dict__, "landmarks": [beside, apart]}))
    texts = [t for t, _ in placed]
    assert "Beside their dot" not in texts and "Far from anything" in texts


def test_a_member_of_thousands_of_titles_has_small_dots_and_their_place_drawn_over_them(monkeypatch):
    drawn = []
    original = Axes.scatter

    def spy(self, *args, **kwargs):
        drawn.append(kwargs)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Axes, "scatter", spy)
    rng = np.random.default_rng(1)
    many = [Point(f"Title {i}", *rng.normal(size=2).tolist(), score=float(rng.integers(1, 11))) for i in range(3000)]
    taste_png(TastePicture(**{**planted().__dict__, "rated": many}))
    dots = next(k for k in drawn if k.get("cmap") is pictures.SCORES and k.get("s", 0) != 38)  # not the score key
    diamond = next(k for k in drawn if k.get("marker") == "D")
    assert dots["s"] < pictures.DOT_SIZE / 4 and diamond["zorder"] > dots["zorder"]
    drawn.clear()
    taste_png(planted())  # ten titles: full-size dots, over the diamond (they gather where it sits)
    dots = next(k for k in drawn if k.get("cmap") is pictures.SCORES and k.get("s", 0) != 38)
    diamond = next(k for k in drawn if k.get("marker") == "D")
    assert dots["s"] == pictures.DOT_SIZE and diamond["zorder"] < dots["zorder"]


def test_a_pick_named_in_a_script_no_font_draws_is_labelled_by_its_latin_name(monkeypatch):
    placed = _placed(monkeypatch)
    monkeypatch.setattr(pictures, "_glyphs", lambda: frozenset(range(0x3000)))  # no Japanese font installed
    pick = Point("劇場版メイドインアビス深き魂の黎明", 0.1, 0.2, latin="Made in Abyss film")
    taste_png(TastePicture(**{**planted().__dict__, "picks": [pick]}))
    assert "Made in Abyss film" in [t for t, _ in placed]


def test_a_name_too_long_for_the_map_gives_way_to_a_latin_name_that_fits():
    """Two seasons cut to one start read alike ("Kaguya-sama wa Kokurasetai: T…" and "…? T…"); their English
    names fit, and differ."""
    first = Point("Kaguya-sama wa Kokurasetai: Tensai-tachi no Renai Zunousen", 0, 0, latin="Kaguya-sama: Love Is War")
    second = Point("Kaguya-sama wa Kokurasetai? Tensai-tachi no Renai Zunousen", 0, 0,
                   latin="Kaguya-sama: Love is War?")
    assert (first.shown, second.shown) == ("Kaguya-sama: Love Is War", "Kaguya-sama: Love is War?")
    assert Point("Monster", 0, 0, latin="Monster (2004)").shown == "Monster"  # a name that fits stays


def test_a_pick_on_the_members_place_is_named_clear_of_the_diamond_and_its_star(monkeypatch):
    """A new season's star sits where the season before it is, often on the member's place: its name goes
    where it covers neither (it read as the diamond's, and hid the star)."""
    offsets = []
    original = Axes.annotate

    def spy(self, text, xy, *args, **kwargs):
        offsets.append((text, kwargs["xytext"], kwargs["ha"], kwargs["va"]))
        return original(self, text, xy, *args, **kwargs)

    monkeypatch.setattr(Axes, "annotate", spy)
    base = planted()
    # The member's dots all around their place: no spot beside the star is clear of them.
    crowd = [Point(f"Crowd {i}", base.place[0] + dx, base.place[1] + dy, score=9.0)
             for i, (dx, dy) in enumerate(itertools.product(np.linspace(-0.4, 0.4, 9), repeat=2))]
    on_it = Point("A second season", *base.place)
    taste_png(TastePicture(**{**base.__dict__, "rated": crowd, "picks": [on_it], "landmarks": []}))
    [(dx, dy), ha, va] = [[xy, ha, va] for text, xy, ha, va in offsets if text == "A second season"][0]
    reach = pictures.MEMBER_MARK
    assert (va == "bottom" and dy >= reach) or (va == "top" and dy <= -reach) \
        or (ha == "left" and dx >= reach) or (ha == "right" and dx <= -reach)


def test_a_title_under_a_picks_star_shows_its_score_inside_the_star(monkeypatch):
    """A new season's star sits where the season before it is: the member's 10 for that season is drawn again
    inside the star, so the map shows both (the score's green at the centre, the star's pink at its points), and a
    title no star covers is drawn once."""
    maps = _maps_drawn(monkeypatch)
    base = planted()
    star = Point("Its 2nd season", 1.5, -1.5)  # away from the planted picks, place and server
    elsewhere = Point("Another title", -1.5, 1.5, 9.0)
    picture = TastePicture(**{**base.__dict__, "picks": [*base.picks, star],
                              "rated": [Point("Its 1st season", star.x, star.y, 10.0), elsewhere]})
    image = Image.open(io.BytesIO(taste_png(picture))).convert("RGB")
    (ax,) = maps
    x, y = ax.transData.transform((star.x, star.y))
    x, row = round(x), round(image.height - y)

    def near(pixel: tuple[int, int, int], colour: str) -> bool:
        return max(abs(a - int(colour[k:k + 2], 16)) for a, k in zip(pixel, (1, 3, 5))) <= 40

    assert near(image.getpixel((x, row)), "#7ae582")  # the 10's green at the star's centre
    reach = round(pictures.STAR_MARK * pictures.DPI / 72)
    around = [image.getpixel((x + dx, row + dy)) for dx in range(-reach, reach + 1) for dy in range(-reach, reach + 1)]
    assert sum(near(pixel, pictures.PICK) for pixel in around) >= 5  # and its points in the pick's pink
    assert pictures._under_stars(ax, ax.figure, [elsewhere], [star]) == []
