"""Reading a CSV file into rows that remember which lines they came from.

A merchant fixing a spreadsheet needs the physical line to look at. Quoted
cells may span several lines (product descriptions often do), so the row
number is not the line number: ``csv.reader.line_num`` after a row is the
row's last line, and the line after the previous row is its first.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from core.connector import ConnectorError, RecordError


@dataclass(frozen=True)
class Row:
    """One CSV record: its cells by column name and the lines it occupies."""

    first_line: int
    last_line: int
    cells: Mapping[str, str]

    @property
    def location(self) -> str:
        return f"line {self.first_line}"

    def get(self, column: str) -> str:
        """The cell's text, ``""`` when the column is absent from this file."""
        return self.cells.get(column, "")

    def error(self, message: str) -> RecordError:
        if self.last_line != self.first_line:
            message = f"{message} (the record spans lines {self.first_line}-{self.last_line})"
        return RecordError(message, location=self.location)


def read_text(path: Path) -> str:
    """The file decoded as UTF-8 (a leading byte-order mark, as Excel writes, is dropped)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConnectorError(f"cannot read {path}: {exc.strerror or exc}") from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise RecordError(
            f"{path.name} is not UTF-8 (byte 0x{data[exc.start]:02x}); save it as 'CSV UTF-8' and import again",
            location=f"line {line}",
        ) from None


def iter_rows(text: str, *, required: Sequence[str]) -> Iterator[Row]:
    """Yield the data rows of ``text``; blank lines are skipped.

    Raises ``RecordError`` for a missing header or required column, a row
    whose cell count differs from the header's, or broken quoting.
    """
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    previous_end = 0
    try:
        header = next(reader, None)
        if header is None:
            raise RecordError("the file is empty: expected a header row", location="line 1")
        columns = [name.strip() for name in header]
        _check_header(columns, required)
        previous_end = reader.line_num
        for values in reader:
            first, last = previous_end + 1, reader.line_num
            previous_end = last
            if not any(value.strip() for value in values):
                continue
            if len(values) != len(columns):
                raise Row(first, last, {}).error(
                    f"has {len(values)} cells but the header has {len(columns)} columns (a stray comma or quote?)"
                )
            yield Row(first, last, dict(zip(columns, values, strict=True)))
    except csv.Error as exc:
        # Report where the broken record starts: an unclosed quote is only
        # noticed at the end of the file, far from the mistake.
        raise RecordError(f"malformed CSV: {exc}", location=f"line {previous_end + 1}") from None


def _check_header(columns: list[str], required: Sequence[str]) -> None:
    seen: set[str] = set()
    for name in columns:
        if name and name in seen:
            raise RecordError(f"column {name!r} appears twice in the header", location="line 1")
        seen.add(name)
    missing = [name for name in required if name not in seen]
    if missing:
        raise RecordError(
            "missing required column(s): " + ", ".join(repr(name) for name in missing),
            location="line 1",
        )
