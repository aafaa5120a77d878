"""Reports a teacher opens (issue 12): answers as text, CSV with a BOM, the per-player grid, the .xlsx
workbook, kicked players without a rank, questions not asked, and the results API's paging and queries."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from openpyxl import load_workbook
from rest_framework.test import APIClient

from results.api import CSVRenderer
from results.exports import csv_bytes, results_workbook
from results.models import Game, GameAnswer, GamePlayer
from results.reports import CSV_FIELDS, game_results_grid, game_results_rows
from results.selectors import answer_text, game_results
from results.services import AnswerRecord, PlayerRecord, game_results_save
from rooms.services import game_create
from tests.factories import host_make, quiz_every_kind
from tests.report_fixtures import FORMULA_NAME, FORMULA_TEXT, KOREAN_NAME, report_game

pytestmark = pytest.mark.django_db

OLD_CSV_FIELDS = [
    "round", "question", "kind", "player_id", "nickname", "answer", "correct", "points", "response_ms",
    "final_score", "final_rank",
]  # fmt: skip


@pytest.fixture
def host():
    return host_make()


@pytest.fixture
def game(host) -> Game:
    return report_game(host)


@pytest.fixture
def api(host) -> APIClient:
    client = APIClient()
    client.force_authenticate(host)
    return client


def csv_rows(content: bytes) -> list[dict[str, str]]:
    assert content.startswith("\ufeff".encode()), "no UTF-8 BOM: Excel would garble Korean"
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


# --- selectors -----------------------------------------------------------------------------------


def test_answer_text_of_every_kind():
    texts = {11: "Paris", 12: "Lyon", 13: "Nice"}
    assert answer_text({"choice": 12}, texts) == "Lyon"
    assert answer_text({"choices": [13, 11]}, texts) == "Paris; Nice"  # in the question's order
    assert answer_text({"choice": 99}, texts) == "#99"  # a choice deleted from the quiz since
    assert answer_text({"text": "태평양"}, {}) == "태평양"
    assert answer_text({"value": 1969.0}, {}) == "1969" and answer_text({"value": 2.5}, {}) == "2.5"
    assert answer_text({"odd": 1, "shape": 2}, {}) == '{"odd": 1, "shape": 2}'


def test_results_standings_questions_votes_and_kinds(game):
    results = game_results(game)
    names = [(s["nickname"], s["rank"], s["kicked"]) for s in results["standings"]]
    assert names == [
        (KOREAN_NAME, 1, False),
        (FORMULA_NAME, 2, False),
        ("dana", 3, False),
        ("bob", None, True),
    ]
    questions = results["questions"]
    assert [q["asked"] for q in questions] == [True] * 6 + [False]
    assert [q["kind_name"] for q in questions][:6] == [
        "Single choice", "Multiple choice", "True or false", "Type the answer", "Slider", "Poll",
    ]  # fmt: skip
    assert {c["text"]: c["votes"] for c in questions[0]["choices"]} == {"Paris": 2, "Lyon": 1}
    assert {c["text"]: c["votes"] for c in questions[1]["choices"]} == {"2": 1, "4": 1, "5": 1}
    assert {c["text"]: c["votes"] for c in questions[5]["choices"]} == {"red": 2, "blue": 1}
    assert questions[3]["choices"] == [] and questions[6]["answered"] == 0
    assert [a["answer_text"] for a in questions[1]["answers"]] == ["2; 5", "4"]
    assert questions[4]["answers"][0]["answer_text"] == "1969"
    with translation.override("ko"):
        assert game_results(game)["questions"][5]["kind_name"] == "투표"


def test_a_game_saved_before_rounds_were_recorded_counts_up_to_the_last_answered_round(host):
    game = report_game(host, rounds_played=None)
    results = game_results(game)
    assert results["rounds_played"] == 6 and [q["asked"] for q in results["questions"]][5:] == [True, False]


def test_the_results_save_records_how_many_questions_were_asked(host):
    quiz = quiz_every_kind(host)
    Game.objects.create(pin="616161", quiz=quiz, host=host, status=Game.Status.RUNNING)
    players = [PlayerRecord("a", "ann", 10, 1, 1, False), PlayerRecord("k", "kim", 5, 2, 0, True)]
    answers = [AnswerRecord("a", 1, {"choice": 1}, 1, 1, True, 10)]
    game = game_results_save("616161", players, answers, rounds_played=2)
    assert Game.objects.get(pk=game.pk).rounds_played == 2
    assert [q["asked"] for q in game_results(game)["questions"]] == [True, True, False, False, False, False]
    assert game_results(game)["standings"][1]["rank"] is None


# --- CSV -----------------------------------------------------------------------------------------


def test_answers_csv_has_text_a_bom_and_the_old_columns_first(game):
    rows = game_results_rows(game_results(game))
    content = CSVRenderer().render({"rows": rows})
    parsed = csv_rows(content)
    assert list(parsed[0])[:11] == OLD_CSV_FIELDS and list(parsed[0]) == CSV_FIELDS
    by = {(r["round"], r["nickname"]): r for r in parsed}
    assert by[("1", KOREAN_NAME)]["answer"] == "Paris" and by[("1", KOREAN_NAME)]["final_rank"] == "1"
    assert by[("2", KOREAN_NAME)]["answer"] == "2; 5" and by[("5", KOREAN_NAME)]["answer"] == "1969"
    assert by[("6", "'" + FORMULA_NAME)]["answer"] == "blue" and by[("6", "bob")]["answer"] == "red"
    assert by[("4", "'" + FORMULA_NAME)]["answer"] == "'" + FORMULA_TEXT + "\x07"  # never a formula
    assert by[("1", "bob")]["final_rank"] == "" and by[("1", "bob")]["kicked"] == "True"
    assert by[("1", KOREAN_NAME)]["answer_raw"].startswith('{"choice": ')
    assert KOREAN_NAME.encode() in content


def test_grid_is_one_row_per_player_and_three_columns_per_question_asked(game):
    header, rows = game_results_grid(game_results(game))
    assert header[:5] == ["Rank", "Nickname", "Status", "Score", "Right answers"]
    assert header[5:8] == ["1. Capital of France?", "1. right", "1. points"] and len(header) == 5 + 6 * 3
    assert "Never asked" not in " ".join(header)
    kim, formula, dana, bob = rows
    assert kim[:5] == [1, KOREAN_NAME, "played", 4000, 5] and kim[5:8] == ["Paris", "✓", 950]
    assert kim[17:20] == [1969, "✓", 0] and kim[20:23] == ["red", "", 0]  # slider as a number; poll unmarked
    assert formula[5:8] == ["Lyon", "✗", 0] and dana[5:] == [""] * 18
    assert bob[:3] == ["", "bob", "removed"] and bob[5:8] == ["Paris", "✓", 950]
    parsed = list(csv.reader(io.StringIO(csv_bytes(header, rows).decode("utf-8-sig"))))
    assert parsed[2][1] == "'" + FORMULA_NAME and parsed[1][1] == KOREAN_NAME
    with translation.override("ko"):
        korean_header, korean_rows = game_results_grid(game_results(game))
    assert korean_header[:3] == ["순위", "닉네임", "상태"] and korean_header[6] == "1. 정답 여부"
    assert korean_rows[3][2] == "내보냄"


# --- xlsx ----------------------------------------------------------------------------------------


def test_workbook_opens_with_three_sheets_frozen_headers_and_text_kept_as_text(game):
    book = load_workbook(io.BytesIO(results_workbook(game_results(game))))
    assert book.sheetnames == ["Standings", "Answers", "Questions"]
    standings, answers, questions = (book[name] for name in book.sheetnames)
    assert standings.freeze_panes == "C2" and answers.freeze_panes == "A2"
    assert standings["A1"].value == "Rank" and standings["A1"].font.b
    assert standings["B2"].value == KOREAN_NAME and standings["F2"].value == "Paris"
    assert standings.column_dimensions["B"].width >= 8 and standings.column_dimensions["F"].width > 20
    assert standings["F2"].fill.fgColor.rgb.endswith("DFF5E3")  # right: green
    formula = standings["B3"]
    assert formula.value == FORMULA_NAME and formula.data_type == "s"  # text, not a formula
    typed = [row for row in answers.iter_rows(values_only=True) if row[3] == FORMULA_NAME and row[0] == 4]
    assert typed[0][4] == FORMULA_TEXT  # the control character Excel refuses is dropped
    assert answers.auto_filter.ref == f"A1:K{answers.max_row}"
    rows = list(questions.iter_rows(values_only=True))
    assert rows[0][:4] == ("Round", "Question", "Kind", "Asked")
    poll = [row for row in rows if row[0] == 6]
    assert [(row[7], row[8]) for row in poll] == [("red", 2), ("blue", 1)] and poll[0][2] == "Poll"
    assert [row[3] for row in rows if row[0] == 7] == ["not asked"]
    with translation.override("ko"):
        korean = load_workbook(io.BytesIO(results_workbook(game_results(game))))
    assert korean.sheetnames == ["순위표", "답변", "문제"] and korean["문제"]["C2"].value == "단일 선택"


# --- API -----------------------------------------------------------------------------------------


def test_api_grid_csv_and_xlsx_downloads(api, game):
    base = f"/api/games/{game.pin}/results/"
    grid = api.get(base + "?format=csv&layout=grid")
    assert grid.status_code == 200 and grid["Content-Type"].startswith("text/csv")
    assert grid["Content-Disposition"] == f'attachment; filename="quizzone-{game.pin}-grid.csv"'
    assert [r["Nickname"] for r in csv_rows(grid.content)] == [KOREAN_NAME, "'" + FORMULA_NAME, "dana", "bob"]
    long = api.get(base + "?format=csv")
    assert long["Content-Disposition"] == f'attachment; filename="quizzone-{game.pin}-results.csv"'
    assert len(csv_rows(long.content)) == 13
    xlsx = api.get(base + "?format=xlsx")
    assert xlsx.status_code == 200 and xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    assert xlsx["Content-Disposition"] == f'attachment; filename="quizzone-{game.pin}-results.xlsx"'
    assert load_workbook(io.BytesIO(xlsx.content))["Standings"]["B2"].value == KOREAN_NAME
    korean = api.get(base + "?format=xlsx", HTTP_ACCEPT_LANGUAGE="ko")
    assert load_workbook(io.BytesIO(korean.content)).sheetnames[0] == "순위표"


def test_api_errors_in_the_asked_format(api, host):
    running = game_create(quiz=quiz_every_kind(host), host=host)
    response = api.get(f"/api/games/{running.pin}/results/?format=xlsx")
    assert response.status_code == 409
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet["A2"].value == "The game has not finished yet."
    assert csv_rows(api.get(f"/api/games/{running.pin}/results/?format=csv").content)[0]["error"]


def test_api_pages_the_standings_and_their_answers(api, game):
    base = f"/api/games/{game.pin}/results/"
    whole = api.get(base).json()
    assert whole["players_total"] == 4 and len(whole["standings"]) == 4 and whole["next"] is None
    assert whole["offset"] == 0 and whole["limit"] is None
    assert sum(len(q["answers"]) for q in whole["questions"]) == 13
    first = api.get(base + "?limit=2").json()
    assert [s["nickname"] for s in first["standings"]] == [KOREAN_NAME, FORMULA_NAME]
    assert first["players_total"] == 4 and first["next"] == f"http://testserver{base}?limit=2&offset=2"
    assert {a["nickname"] for q in first["questions"] for a in q["answers"]} == {KOREAN_NAME, FORMULA_NAME}
    assert first["questions"][0]["answered"] == 3  # figures count every player, not only this page
    second = api.get(first["next"]).json()
    assert [s["nickname"] for s in second["standings"]] == ["dana", "bob"] and second["next"] is None
    assert second["standings"][1] | {"rank": None, "kicked": True} == second["standings"][1]
    assert {a["nickname"] for q in second["questions"] for a in q["answers"]} == {"bob"}
    paged = api.get(base + "?page=2&limit=3").json()
    assert [s["nickname"] for s in paged["standings"]] == ["bob"] and paged["offset"] == 3
    bare = api.get(base + "?answers=0").json()
    assert all(q["answers"] == [] for q in bare["questions"]) and bare["questions"][0]["answered"] == 3
    for bad in ("limit=0", "limit=1001", "limit=x", "offset=-1", "page=0", "page=1&offset=2"):
        assert api.get(f"{base}?{bad}").status_code == 400, bad


def _big_game(host, pin: str, players: int) -> Game:
    quiz = quiz_every_kind(host)
    game = Game.objects.create(pin=pin, quiz=quiz, host=host, status=Game.Status.FINISHED, rounds_played=6)
    made = GamePlayer.objects.bulk_create(
        GamePlayer(game=game, player_id=f"p{i}", nickname=f"n{i}", score=i, rank=i + 1, kicked=i % 50 == 7)
        for i in range(players)
    )
    choices = {q.order: [c.id for c in q.choices.all()] for q in quiz.questions.all()}
    answers = {
        1: lambda i: {"choice": choices[1][i % 2]},
        2: lambda i: {"choices": choices[2][: 1 + i % 3]},
        3: lambda i: {"choice": choices[3][i % 2]},
        4: lambda i: {"text": f"t{i}"},
        5: lambda i: {"value": 1900 + i % 100},
        6: lambda i: {"choice": choices[6][i % 2]},
    }
    GameAnswer.objects.bulk_create(
        GameAnswer(
            game=game, player=p, round=r, answer=make(i), answered_at_ms=i, response_ms=i, correct=i % 2 == 0
        )
        for r, make in answers.items()
        for i, p in enumerate(made)
    )
    return game


def _queries(fetch) -> int:
    with CaptureQueriesContext(connection) as captured:
        fetch()
    return len(captured)


def test_results_take_the_same_few_queries_for_any_size(api, host, django_assert_max_num_queries):
    small, big = _big_game(host, "100001", 12), _big_game(host, "100002", 240)
    page = Client()
    page.force_login(host)
    for query in ("", "?limit=100&offset=200", "?page=3&answers=0", "?format=csv", "?format=csv&layout=grid",
                  "?format=xlsx"):  # fmt: skip
        urls = [f"/api/games/{g.pin}/results/{query}" for g in (small, big)]
        counts = [_queries(lambda url=url: api.get(url)) for url in urls]
        assert counts[0] == counts[1], f"{query}: {counts} queries for 12 and 240 players"
        with django_assert_max_num_queries(10):
            assert api.get(f"/api/games/{big.pin}/results/{query}").status_code == 200
    counts = [_queries(lambda g=g: page.get(f"/host/{g.pin}/results/?page=2")) for g in (small, big)]
    assert counts[0] == counts[1], f"results page: {counts} queries for 12 and 240 players"
    results = api.get(f"/api/games/{big.pin}/results/?limit=1000").json()
    assert len(results["standings"]) == 240 and results["standings"][-1]["kicked"]
    assert sum(c["votes"] for c in results["questions"][5]["choices"]) == 240


# --- results page --------------------------------------------------------------------------------


def test_results_page_in_korean_names_kinds_shows_votes_and_marks_unasked_questions(host, game):
    client = Client()
    client.force_login(host)
    html = client.get(f"/host/{game.pin}/results/", HTTP_ACCEPT_LANGUAGE="ko").content.decode()
    kinds = re.findall(r'<td class="kind" data-kind="(\w+)">([^<]+)</td>', html)
    assert kinds[:6] == [("single", "단일 선택"), ("multi", "복수 선택"), ("truefalse", "참/거짓"),
                         ("text", "주관식"), ("slider", "슬라이더"), ("poll", "투표")]  # fmt: skip
    assert re.search(r'data-round="7">.*?출제 안 됨', html, re.S)
    assert re.search(r'data-votes="2">\s*<span class="vote-text">red</span>.*?width: 67%.*?2표', html, re.S)
    assert f'href="/api/games/{game.pin}/results/?format=xlsx"' in html and "엑셀(.xlsx) 내려받기" in html
    assert f'href="/api/games/{game.pin}/results/?format=csv&amp;layout=grid"' in html
    english = client.get(f"/host/{game.pin}/results/").content.decode()
    assert "Not asked" in english and "1 vote<" in english and "2 votes<" in english
    assert re.search(r"<td>—</td>\s*<td>bob \(removed\)</td>", english)


def test_results_page_pages_the_standings_of_a_large_game(host):
    game = _big_game(host, "100003", 250)
    client = Client()
    client.force_login(host)
    html = client.get(f"/host/{game.pin}/results/?page=2").content.decode()
    assert "Players 101–200 of 250" in html and 'href="?page=1"' in html and 'href="?page=3"' in html
    assert html.count('<td class="num">') >= 100
