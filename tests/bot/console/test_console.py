"""The console (console/console.py): `python -m animerec.bot` without a token, driven through a pipe (stdin
is not a TTY), and its option parsing: values as people type them."""

import asyncio
import io
import os
import subprocess
import sys

import pytest

from animerec.bot.console.console import RECOMMEND_OPTIONS, SIMILAR_OPTIONS, Console, split_options
from animerec.bot.service import UserError
from animerec.recsys.data import DATA_CREDIT
from botkit import mal_export

pytestmark = pytest.mark.timeout(60)


SCRIPT = """/help
/rate Steins;Gate 9
/rate Steins;Gate 10
/rate Naruto eleven
/rate Steins Gateway 9
/similar Steins;Gate count=2
/recommend
/ratings
/nonsense
/forget
no
/ratings
"""

def run_bot(data_dir, args, stdin: str = "") -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "DISCORD_TOKEN"}
    env.update(ANIMEREC_DATA_DIR=str(data_dir), LOG_LEVEL="INFO")
    return subprocess.run([sys.executable, "-m", "animerec.bot", *args], input=stdin, capture_output=True, text=True,
                          env=env, cwd=data_dir, timeout=50)


def test_console_answers_piped_commands_until_eof(data_dir):
    done = run_bot(data_dir, [], SCRIPT)
    assert done.returncode == 0, done.stderr
    assert "no DISCORD_TOKEN set: running the console mode" in done.stderr
    out = done.stdout
    assert "== Steins;Gate ==\nDrama, Psychological, Sci-Fi, Suspense, Time Travel · TV · 24 eps\nYour score\n  9/10" in out
    assert "Before\n  9/10" in out  # the re-rating replaced the first
    assert "! “eleven” is not a score" in out
    assert "! I don't know a title “Steins Gateway”. Did you mean:\n  1. Steins;Gate (2011)\n" in out
    assert "== Similar to Steins;Gate ==\n1. " in out and "\n3. " not in out.split("Similar to")[1].split("==")[0]
    # One rating: picks already, and titles to rate beside them.
    assert "== Picks for you ==\n1. " in out and "Rate a few of these too" in out
    assert out.count("== Your ratings (1) ==\nSteins;Gate — 10/10") == 2  # "no" kept everything
    assert "Unknown command /nonsense. Type /help." in out
    assert "Traceback" not in out + done.stderr


@pytest.mark.parametrize("path", ["/dev/zero", "big.xml"])
async def test_console_import_reads_no_more_than_the_size_limit(service, tmp_path, path):
    """/dev/zero never ends: the console reads one byte past the 5 MB limit, as Discord's path refuses."""
    big = tmp_path / "big.xml"
    big.write_bytes(b"<myanimelist>" + b" " * (6 * 1024 * 1024) + b"</myanimelist>")
    console = Console(service, io.StringIO())
    answer = await console.answer(console.import_, str(tmp_path / path))  # an absolute path stays as is
    assert answer == ("! I couldn't import that file: the file is larger than 5 MB (about 6,000 titles), more than I "
                      "can take. Nothing was stored.")


async def test_help_and_stats_credit_the_data_sources(service):
    """bangumi-data's CC BY 4.0 licence asks for its attribution wherever its data is shown."""
    out = io.StringIO()
    lines = iter(["/help", "/stats", ""])

    async def read() -> str:
        return next(lines)

    await Console(service, out).run(read)
    help_text, stats_text = out.getvalue().split("== About my recommendations ==")
    assert help_text.rstrip().endswith(DATA_CREDIT) and stats_text.rstrip().endswith(f"({DATA_CREDIT})")


async def test_console_options_with_spaces_filter_the_list(service):
    console = Console(service, io.StringIO())
    for title in ("K-On!", "Non Non Biyori", "Barakamon"):
        await console.answer(console.rate, f"{title} 9")
    answer = await console.answer(console.recommend, "genre=Slice of Life count=3")
    picks = [line for line in answer.splitlines() if line[:2] in ("1.", "2.", "3.", "4.")]
    assert len(picks) == 3 and answer.count("Slice of Life") >= 3
    assert (await console.answer(console.recommend, "genr=Comedy")).startswith("! I don't understand “genr=Comedy”")


async def test_options_that_leave_nothing_say_so_to_a_member_with_few_ratings(service, recwarn):
    """Two ratings (onboarding still due) and a genre no music video has: the list says the options left
    nothing, beside the titles to rate, not the newcomer's screen as if the options were not read."""
    console = Console(service, io.StringIO())
    for title in ("K-On!", "Steins;Gate"):
        await console.answer(console.rate, f"{title} 9")
    catalog = service.catalog
    genre = next(g for g in catalog.genres if not any(a.type == "Music" and g in a.genres for a in catalog))
    answer = await console.answer(console.recommend, f'genre="{genre}" type=Music')
    assert "No good matches with these options" in answer and "Let's get to know your taste" not in answer
    assert "Rate a few of these too" in answer
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]  # no spread of an empty list


async def test_a_score_that_also_completes_a_title_is_asked_about_before_anything_is_stored(service):
    """"/rate Attack on Titan 2": Season 2, or Attack on Titan at 2? The member says; "2/10" is a score."""
    console = Console(service, io.StringIO())
    asked = await console.answer(console.rate, "Attack on Titan 2")
    assert asked.startswith("! “Attack on Titan 2” names Shingeki no Kyojin Season 2. To score it:")
    assert await service.store.rating_map(console.member_id) == {}
    await console.answer(console.rate, "Attack on Titan 2/10")
    await console.answer(console.rate, "One Punch Man 3 8")
    assert await service.store.rating_map(console.member_id) == {16498: 2.0, 52807: 8.0}


async def test_a_title_named_exactly_is_scored_when_all_the_words_are_only_another_franchises_synonym(service):
    """"/rate Monster 8": Monster is a title's own name, and "Monster #8" only a synonym of Kaiju No. 8; but
    "Overlord 4" is Overlord IV as well as Overlord at 4 (one franchise): that one is asked."""
    console = Console(service, io.StringIO())
    assert (await console.answer(console.rate, "Overlord 4")).startswith("! “Overlord 4” names Overlord IV.")
    assert await service.store.rating_map(console.member_id) == {}
    assert (await console.answer(console.rate, "Monster 8")).startswith("== Monster ==")
    assert await service.store.rating_map(console.member_id) == {19: 8.0}


async def test_local_members_keep_their_own_ratings_and_hold_a_watch_party(service):
    console = Console(service, io.StringIO())
    for title in ("Death Note", "Steins;Gate", "Monster"):
        await console.answer(console.rate, f"{title} 9")
    assert (await console.answer(console.as_, "Mio")) == "You are now Mio (0 ratings stored)."
    for title in ("K-On!", "Clannad", "Toradora!"):
        await console.answer(console.rate, f"{title} 9")
    assert "Your ratings (3)" in await console.answer(console.ratings, "")
    assert (await console.answer(console.as_, "Ritsu")) == "You are now Ritsu (0 ratings stored)."
    assert (await console.answer(console.as_, "you")) == "You are now you (3 ratings stored)."
    # A name no local member has is a typo, not a member with no ratings: as /compare and /taste say.
    assert (await console.answer(console.watchparty, "Mio Ritsuu")) == \
        "! There is no local member called Ritsuu (/as Ritsuu makes one)."
    party = await console.answer(console.watchparty, "Mio Ritsu strategy=least_misery count=3")
    assert "Watch party: least misery" in party and "Ritsu" in party  # Ritsu has no ratings: named, left out
    picks = [line for line in party.splitlines() if line[:2] in ("1.", "2.", "3.")]
    assert len(picks) == 3
    predicted = [line for line in party.splitlines() if line.strip().startswith("Predicted:")]
    assert all("you " in line and "Mio " in line for line in predicted)
    for seen in ("Death Note", "Steins;Gate", "Monster", "K-On!", "Clannad", "Toradora!"):
        assert not any(line.endswith(f". {seen}") for line in picks)
    assert (await console.answer(console.watchparty, "")).startswith("! Usage: /watchparty")


def test_piped_commands_on_a_fresh_data_directory_wait_for_the_first_model(tmp_path):
    """The README's example on a fresh clone: the commands run once the first model is in, not
    'warming up' answers followed by an exit that cancels the training."""
    env = {k: v for k, v in os.environ.items() if k != "DISCORD_TOKEN"}
    env.update(ANIMEREC_DATA_DIR=str(tmp_path / "fresh"), ANIMEREC_TRAIN_CONFIG="small", LOG_LEVEL="INFO")
    done = subprocess.run([sys.executable, "-m", "animerec.bot", "--console"],
                          input="/rate Steins;Gate 9\n/recommend count=3\n",
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=50)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "No model yet: training the first one now" in out and "Model ready after" in out
    assert out.index("Model ready after") < out.index("== Steins;Gate ==")
    assert "== Picks for you ==\n1. " in out and "warming up" not in out


async def test_console_import_paths_as_people_type_them(service, tmp_path, monkeypatch):
    console = Console(service, io.StringIO())
    assert (await console.answer(console.import_, "")).startswith("! Usage: /import <path")
    assert (await console.answer(console.import_, str(tmp_path))).endswith("is a folder: give the export file inside it.")
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "my list.xml").write_bytes(mal_export((9253, 9, "Completed")))
    answer = await console.answer(console.import_, '"~/my list.xml"')
    assert "Added 1" in answer and await service.store.rating_map(0) == {9253: 9.0}


async def test_a_locked_database_reads_the_same_in_the_console_as_on_discord(service, monkeypatch):
    from animerec.bot.service import member_message
    from animerec.bot.store import StoreBusy

    async def locked(*args, **kwargs):
        raise StoreBusy("database is locked")

    monkeypatch.setattr(service.store, "upsert_ratings", locked)
    console = Console(service, io.StringIO())
    answer = await console.answer(console.rate, "Steins;Gate 9")
    assert answer == f"! {member_message(StoreBusy('x'))}" and "busy" in answer


async def test_console_admin_retrain_swaps_in_a_model_that_learned_the_local_ratings(service):
    out = io.StringIO()
    console = Console(service, out)
    await console.answer(console.rate, "Steins;Gate 9")
    old = service.models.model_version
    answer = await console.answer(console.admin, "retrain")
    assert answer == f"Now serving model {service.models.model_version}." and service.models.model_version != old
    assert service.models.meta.counts.community_interactions == 1
    assert "Retraining on the dataset and every local rating" in out.getvalue()
    assert (await console.answer(console.admin, "")).startswith("! Usage: /admin retrain")
    # The cooldown is the service's, as on Discord: a second retrain within 10 minutes is refused.
    said = out.getvalue()
    again = await console.answer(console.admin, "retrain")
    assert again.startswith("! One /admin retrain every 10 min: try again in ") and service.models.model_version != old
    assert out.getvalue() == said  # refused without first saying a retrain is under way

    # /forget names the next scheduled retrain, whose model no longer learns from the deleted ratings.
    service.models.retrain_cron = "30 4 * * *"
    answers = iter(["/forget", "yes", ""])

    async def lines() -> str:
        return next(answers)

    await console.run(lines)
    assert ("Done: deleted 1 rating and 0 dismissed titles. I no longer store anything about you. The model I serve "
            "now learnt from your ratings") in out.getvalue()
    assert "they are gone from the next model, at 04:30 UTC." in out.getvalue()


async def test_the_terminal_completes_commands_and_titles_by_any_name(service):
    from prompt_toolkit.completion import CompleteEvent
    from prompt_toolkit.document import Document

    from animerec.bot.console.console import TitleCompleter

    completer = TitleCompleter(service, ["rate", "recommend", "similar"])

    def complete(text):
        return list(completer.get_completions(Document(text), CompleteEvent()))

    assert [c.text for c in complete("/r")] == ["/rate ", "/recommend "]
    assert [c.text for c in complete("sim")] == ["/similar "]
    [first, *_] = complete("/rate attack on ti")
    assert first.text == "Shingeki no Kyojin" and first.start_position == -len("attack on ti")
    assert "Attack on Titan" in first.display_text
    assert complete("/recommend genre=Com") == [] and complete("/rate ") == []


@pytest.mark.parametrize("text, keys, expected", [
    ("genre=Slice of Life count=5", RECOMMEND_OPTIONS, ("", {"genre": "Slice of Life", "count": "5"})),
    ('genre="Slice of Life"', RECOMMEND_OPTIONS, ("", {"genre": "Slice of Life"})),
    ("Steins;Gate count=3 type=TV", SIMILAR_OPTIONS, ("Steins;Gate", {"count": "3", "type": "TV"})),
    ("Fullmetal Alchemist: Brotherhood genre=Action", SIMILAR_OPTIONS,
     ("Fullmetal Alchemist: Brotherhood", {"genre": "Action"})),
    ("Loups=Garous", SIMILAR_OPTIONS, ("Loups=Garous", {})),
    ("Loups=Garous count=2", SIMILAR_OPTIONS, ("Loups=Garous", {"count": "2"})),
    ("'Steins;Gate' GENRE=Sci-Fi", SIMILAR_OPTIONS, ("Steins;Gate", {"genre": "Sci-Fi"})),
    ("discover=yes", RECOMMEND_OPTIONS, ("", {"discover": "yes"})),
])
def test_options_run_to_the_next_key_and_titles_keep_their_equals_signs(text, keys, expected):
    assert split_options(text, keys) == expected


@pytest.mark.parametrize("text, message", [
    ("count=3 count=4", "count= is given twice"),
    ("genre= count=3", "genre= needs a value"),
])
def test_options_that_cannot_be_parsed_say_why(text, message):
    with pytest.raises(UserError, match=message):
        split_options(text, RECOMMEND_OPTIONS)


async def test_rate_without_a_score_asks_for_the_score_of_the_title_named(service):
    console = Console(service, io.StringIO())
    answer = await console.answer(console.rate, "Death Note")
    assert answer == "! What score do you give Death Note? /rate Death Note <1-10|watched>"
    assert await service.store.rating_map(0) == {}
    # A last word that is neither a score nor part of the title is still called out as a bad score.
    assert (await console.answer(console.rate, "Death Note great")).startswith("! “great” is not a score")
    assert (await console.answer(console.rate, "Death Note 8")).startswith("== Death Note ==")


async def test_a_local_name_is_at_most_discords_display_name_length(service):
    from animerec.bot.limits import DISPLAY_NAME

    console = Console(service, io.StringIO())
    answer = await console.answer(console.as_, "x" * 500)
    assert answer == f"! A name is at most {DISPLAY_NAME} characters; this one has 500."
    assert console.member_name == "you" and "x" * 40 not in console.names.values()
    name = "y" * DISPLAY_NAME
    assert await console.answer(console.as_, name) == f"You are now {name} (0 ratings stored)."
    party = await console.answer(console.watchparty, "z" * 33)
    assert party == f"! A name is at most {DISPLAY_NAME} characters; this one has 33."


async def test_console_admin_adult_content_shows_and_hides_adult_titles_everywhere(service):
    console = Console(service, io.StringIO())
    say = console.answer
    # Hidden until an admin shows them: no title, no genre, not even in the list of genres.
    assert (await say(console.rate, "Boku no Pico 1")).startswith("! I don't know a title “Boku no Pico”")
    assert "Hentai" not in await say(console.recommend, "genre=nope")
    assert (await say(console.admin, "adult-content hide=no")) == \
        "Adult titles now appear in this console (it counts as an age-restricted channel)."
    assert (await say(console.rate, "Boku no Pico 1")).startswith("== Boku no Pico ==")
    assert "Hentai" in await say(console.recommend, "genre=nope")
    assert "Boku no Pico — 1/10" in await say(console.ratings, "")
    assert (await say(console.admin, "adult-content hide=yes")) == "Adult titles now appear nowhere in this console."
    assert "Boku no Pico" not in await say(console.ratings, "")
    assert "Hentai" not in await say(console.recommend, "genre=nope")
    usage = "! Usage: /admin retrain | /admin adult-content hide=yes|no"
    assert (await say(console.admin, "adult-content")) == usage
    # The setting is the local server's, kept in the store: a new console run starts from it.
    fresh = Console(service, io.StringIO())
    assert (await fresh.answer(fresh.rate, "Boku no Pico 2")).startswith("! I don't know")


async def test_console_vote_in_the_last_watch_party(service):
    console = Console(service, io.StringIO())
    say = console.answer
    assert (await say(console.vote, "1")) == "! Plan a watch party first (/watchparty <name> ...), then /vote <pick>."
    for title in ("Death Note", "Steins;Gate", "Monster"):
        await say(console.rate, f"{title} 9")
    await say(console.as_, "Mio")
    for title in ("K-On!", "Clannad", "Toradora!"):
        await say(console.rate, f"{title} 9")
    party = await say(console.watchparty, "you count=3")
    assert party.count("Votes: 0") == 3
    tally = await say(console.vote, "2")
    assert [line.strip() for line in tally.splitlines() if "Votes:" in line] == ["Votes: 0", "Votes: 1", "Votes: 0"]
    await say(console.as_, "you")
    tally = await say(console.vote, "2")
    assert [line.strip() for line in tally.splitlines() if "Votes:" in line] == ["Votes: 0", "Votes: 2", "Votes: 0"]
    tally = await say(console.vote, "3")  # a new vote moves the old one
    assert [line.strip() for line in tally.splitlines() if "Votes:" in line] == ["Votes: 0", "Votes: 1", "Votes: 1"]
    assert (await say(console.vote, "4")) == "! Vote for a pick from 1 to 3."
    assert (await say(console.vote, "two")) == "! Vote for a pick from 1 to 3."
    await say(console.as_, "Ritsu")  # not in the party
    assert (await say(console.vote, "1")).startswith("! Only members of this watch party can vote")


async def test_a_hidden_member_a_party_leaves_out_cannot_vote_in_it(service):
    console = Console(service, io.StringIO())
    say = console.answer
    await say(console.as_, "Ritsu")
    for title in ("Death Note", "Monster"):
        await say(console.rate, f"{title} 9")
    await say(console.commands["privacy"], "hidden")
    await say(console.as_, "Mio")
    for title in ("K-On!", "Clannad", "Toradora!"):
        await say(console.rate, f"{title} 9")
    await say(console.as_, "you")
    for title in ("Steins;Gate", "Cowboy Bebop"):
        await say(console.rate, f"{title} 9")
    party = await say(console.watchparty, "Mio Ritsu count=3")
    assert "Ritsu: keeps their taste private, so left out." in party and party.count("Votes: 0") == 3
    await say(console.as_, "Ritsu")  # named, left out: not a member of the party's vote
    assert (await say(console.vote, "1")).startswith("! Only members of this watch party can vote")


async def test_the_console_runs_the_retrain_forget_names(service, settings, monkeypatch):
    """/forget names the next scheduled retrain: the console runs that schedule while it is open, as the
    Discord bot does, so the time it names is one at which a retrain happens."""
    from animerec.bot.app import client
    from animerec.bot.console import console as console_module

    schedulers = []

    def recording(service, settings):
        schedulers.append(client.start_schedule(service, settings))
        return schedulers[-1]

    monkeypatch.setattr(console_module, "start_schedule", recording)
    settings = settings.model_copy(update={"retrain_cron": "17 5 * * *"})
    service.models.retrain_cron = settings.retrain_cron  # as open_service passes it
    seen = {}

    class Lines(io.StringIO):
        def readline(self, *args):
            [scheduler] = schedulers
            seen["running"] = scheduler.running
            seen["next"] = scheduler.get_job(client.RETRAIN_JOB).next_run_time
            return super().readline(*args)

    await console_module.run_console(service, Lines("/help\n"), io.StringIO(), settings=settings)
    await asyncio.sleep(0)  # AsyncIOScheduler.shutdown runs on the loop's next turn
    assert seen["running"] and seen["next"] == service.models.next_retrain()
    assert (seen["next"].hour, seen["next"].minute) == (5, 17) and not schedulers[0].running
