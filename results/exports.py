"""Files a teacher opens: CSV that Excel reads as UTF-8, and an .xlsx workbook (standings grid, answers,
questions with their votes). Player-typed text never becomes a formula in either."""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from .reports import RIGHT, WRONG, game_results_grid, game_results_rows, label

BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet reads as the start of a formula
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
WIDTH_MIN, WIDTH_MAX = 6, 50
WIDTH_SAMPLE = 1000  # rows measured for the column widths
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="ECE7F7")
RIGHT_FILL = PatternFill("solid", fgColor="DFF5E3")
WRONG_FILL = PatternFill("solid", fgColor="FBE3E3")


def csv_cell(value: Any) -> Any:
    """A CSV cell that a spreadsheet shows as typed: text that would start a formula gets a leading `'`."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return "" if value is None else value


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """UTF-8 with a byte order mark, so that Excel reads 김철수 and not mojibake."""
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out)
    writer.writerow([csv_cell(h) for h in header])
    writer.writerows([csv_cell(v) for v in row] for row in rows)
    return out.getvalue().encode()


def text_width(value: Any) -> int:
    """Columns a value takes on screen: Korean, Chinese and Japanese characters count twice."""
    text = str(value)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


class RowProgress:
    """Tells `report(done, total)` at the start, every `every` rows written, and at `finish`."""

    def __init__(self, total: int, report: Callable[[int, int], None], every: int = 2_000) -> None:
        self.total, self.report, self.every = total, report, every
        self.done = self.reported = 0
        report(0, total)

    def advance(self) -> None:
        self.done += 1
        if self.done - self.reported >= self.every:
            self.reported = self.done
            self.report(self.done, self.total)

    def finish(self) -> None:
        self.report(self.total, self.total)


def _unheard(done: int, total: int) -> None:
    pass


def _sheet(
    book: Workbook,
    title: str,
    header: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    freeze: str = "A2",
    fills: Sequence[Sequence[PatternFill | None]] | None = None,
    progress: RowProgress,
) -> WriteOnlyWorksheet:
    sheet = book.create_sheet(title=title[:31])
    sample = rows[:WIDTH_SAMPLE]
    for index, title_text in enumerate(header):
        widest = max((text_width(row[index]) for row in sample if index < len(row)), default=0)
        width = min(WIDTH_MAX, max(WIDTH_MIN, text_width(title_text) + 2, widest + 2))
        sheet.column_dimensions[get_column_letter(index + 1)].width = width
    sheet.freeze_panes = freeze
    sheet.auto_filter.ref = f"A1:{get_column_letter(max(1, len(header)))}{len(rows) + 1}"

    def cell(value: Any, fill: PatternFill | None = None, header_cell: bool = False) -> Any:
        if isinstance(value, str):
            value = ILLEGAL_CHARACTERS_RE.sub("", value)
        formula_like = isinstance(value, str) and value.startswith("=")
        if not (formula_like or fill or header_cell):
            return value  # a plain value writes several times faster than a cell object
        made = WriteOnlyCell(sheet, value=value)
        if isinstance(value, str):
            made.data_type = "s"  # never a formula, whatever the player typed
        if header_cell:
            made.font, made.fill = HEADER_FONT, HEADER_FILL
            made.alignment = Alignment(wrap_text=True, vertical="top")
        elif fill is not None:
            made.fill = fill
        return made

    sheet.append([cell(h, header_cell=True) for h in header])
    for r, row in enumerate(rows):
        row_fills = fills[r] if fills else ()
        sheet.append([cell(v, row_fills[c] if c < len(row_fills) else None) for c, v in enumerate(row)])
        progress.advance()
    return sheet


def _standings_fills(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[list[PatternFill | None]]:
    """Each question's answer and mark cells green when right, red when wrong (columns after the fifth come
    in threes: answer, mark, points)."""
    fills = []
    for row in rows:
        row_fills: list[PatternFill | None] = [None] * len(row)
        for start in range(5, len(row), 3):
            fill = {RIGHT: RIGHT_FILL, WRONG: WRONG_FILL}.get(row[start + 1])
            row_fills[start] = row_fills[start + 1] = fill
        fills.append(row_fills)
    return fills


def results_workbook(results: dict[str, Any], report: Callable[[int, int], None] | None = None) -> bytes:
    """The whole game as .xlsx: Standings (one row per player, one group of columns per question asked),
    Answers (one row per answer) and Questions (figures and each choice's votes). `report(done, total)` hears
    of the rows written as it goes (a 10,000-player game has ~70,000)."""
    book = Workbook(write_only=True)
    header, rows = game_results_grid(results)

    answer_header = [
        label(name)
        for name in (
            "Round", "Question", "Kind", "Nickname", "Answer", "Right", "Points", "Response time (s)",
            "Final score", "Final rank", "Removed",
        )
    ]  # fmt: skip
    answer_rows = [
        [
            row["round"],
            row["question"],
            row["kind_name"],
            row["nickname"],
            row["answer"],
            "" if row["correct"] is None else RIGHT if row["correct"] else WRONG,
            row["points"],
            round(row["response_ms"] / 1000, 2),
            row["final_score"],
            row["final_rank"],
            label("yes") if row["kicked"] else "",
        ]
        for row in game_results_rows(results)
    ]

    question_header = [
        label(name)
        for name in (
            "Round", "Question", "Kind", "Asked", "Answered", "Right", "Right share (%)", "Choice", "Votes",
            "Right answer",
        )
    ]  # fmt: skip
    question_rows: list[list[Any]] = []
    for q in results["questions"]:
        share = round(100 * q["correct"] / q["answered"]) if q["answered"] and q["kind"] != "poll" else ""
        figures = [
            q["round"],
            q["question"],
            q["kind_name"],
            label("yes") if q["asked"] else label("not asked"),
            q["answered"] if q["asked"] else "",
            q["correct"] if q["asked"] and q["kind"] != "poll" else "",
            share,
        ]
        if not q["choices"]:
            question_rows.append([*figures, "", "", ""])
        for i, choice in enumerate(q["choices"]):
            lead = figures if i == 0 else [q["round"], "", "", "", "", "", ""]
            mark = RIGHT if choice["correct"] else ""
            question_rows.append([*lead, choice["text"], choice["votes"] if q["asked"] else "", mark])
    total = len(rows) + len(answer_rows) + len(question_rows)
    progress = RowProgress(total, report or _unheard)
    fills = _standings_fills(header, rows)
    _sheet(book, label("Standings"), header, rows, freeze="C2", fills=fills, progress=progress)
    _sheet(book, label("Answers"), answer_header, answer_rows, progress=progress)
    _sheet(book, label("Questions"), question_header, question_rows, progress=progress)

    out = io.BytesIO()
    book.save(out)
    progress.finish()
    return out.getvalue()


def error_workbook(detail: str) -> bytes:
    book = Workbook(write_only=True)
    _sheet(book, "error", ["error"], [[detail]], progress=RowProgress(1, _unheard))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
