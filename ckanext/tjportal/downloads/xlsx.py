"""A streaming XLSX writer for DataStore dumps.

openpyxl's write-only mode builds an object for every cell and its XML
writer serialises them one by one, which made a 200,000-row dump take about
30 times as long as the CSV dump (bench/api.py). This writer reads the pages
as the CSV that PostgreSQL writes, formats them column by column into
SpreadsheetML text with bytes templates, and writes that straight into the
deflate stream of the ZIP archive. The archive therefore leaves the process
while the DataStore pages are still being read, and memory stays constant.

The workbook has one sheet. Cells are typed from the DataStore field types:
numbers as numbers, ``date`` and ``timestamp`` as Excel dates, booleans as
booleans, and everything else as inline strings (never formulas). Cells
carry no ``r`` reference, which ECMA-376 allows: each cell follows the
previous one, and an empty ``<c/>`` keeps the place of a null value.
"""
from __future__ import annotations

import csv
import datetime
import io
import itertools
import json
import math
import re
import zipfile
from typing import Callable, Iterable, Iterator, Optional, Sequence

# Excel's limits (Excel 2007 and later): rows per sheet, characters per cell
# and characters per sheet title.
MAX_ROWS = 1048576
# The header, one row of data and the truncation note.
MIN_ROWS = 3
MAX_CELL_LENGTH = 32767
MAX_TITLE_LENGTH = 31
TITLE_FORBIDDEN = str.maketrans({character: "_" for character in "[]:*?/\\"})

# Integers of more digits than this lose digits in Excel, which keeps 15
# significant digits, so they are written as text.
MAX_EXACT_DIGITS = 15

# zlib level of the sheet part. On 32,000 rows of the benchmark table
# (bench/api.py), level 1 compressed 3.3 times as fast as level 6 and its
# output was 31% larger.
COMPRESS_LEVEL = 1

# The sheet part is streamed without ZIP64 records, so Python's zipfile
# raises once it passes 2 GiB - 1 uncompressed. Rows stop with the note
# 64 MiB before that.
MAX_SHEET_BYTES = 2**31 - 64 * 2**20

# Rows formatted and compressed at a time.
BATCH_ROWS = 4096

# Text cells drop the characters that XML 1.0 does not allow (the C0
# controls other than tab, line feed and carriage return, U+FFFE and
# U+FFFF) and escape the three characters that element text must escape.
_TEXT_TABLE = str.maketrans(
    {**{chr(code): None for code in range(32) if chr(code) not in "\t\n\r"},
     "\ufffe": None, "\uffff": None, "&": "&amp;", "<": "&lt;", ">": "&gt;"}
)
_NEEDS_TRANSLATION = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff&<>]")
_NEEDS_ESCAPE = re.compile("[\x01-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff&<>]")

# Days between Excel's day 0 (1899-12-30 in the 1900 date system) and 0001-01-01.
_EXCEL_EPOCH_ORDINAL = datetime.date(1899, 12, 30).toordinal()
# Excel counts a 29 February 1900 that never existed, so serial numbers of
# earlier dates are off by one. Such dates are written as text.
_FIRST_EXACT_DATE = datetime.date(1900, 3, 1)

# Style indexes of the cellXfs list in STYLES_XML.
STYLE_DATE = 1
STYLE_DATETIME = 2
_STYLE_HEADER = 3

INTEGER_TYPES = frozenset({"int", "int2", "int4", "int8", "integer", "bigint", "smallint"})
NUMBER_TYPES = frozenset({"float", "float4", "float8", "real", "double precision", "numeric"})
DATE_TYPES = frozenset({"date"})
TIMESTAMP_TYPES = frozenset({"timestamp", "timestamptz"})
BOOLEAN_TYPES = frozenset({"bool", "boolean"})

CONTENT_TYPES_XML = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    '</Types>'
)

ROOT_RELS_XML = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/>'
    '</Relationships>'
)

WORKBOOK_RELS_XML = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" '
    'Target="styles.xml"/>'
    '</Relationships>'
)

WORKBOOK_XML = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="{title}" sheetId="1" r:id="rId1"/></sheets>'
    '</workbook>'
)

# Styles: 0 default, 1 date (yyyy-mm-dd), 2 date and time, 3 bold header.
STYLES_XML = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<numFmts count="2">'
    '<numFmt numFmtId="164" formatCode="yyyy-mm-dd"/>'
    '<numFmt numFmtId="165" formatCode="yyyy-mm-dd hh:mm:ss"/>'
    '</numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="4">'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '</cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    '</styleSheet>'
)

SHEET_START = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<sheetViews><sheetView workbookViewId="0">'
    '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
    '</sheetView></sheetViews>'
    '<sheetData>'
)
SHEET_END = '</sheetData></worksheet>'

EMPTY_CELL = b"<c/>"
_TEXT_CELL = b'<c t="inlineStr"><is><t xml:space="preserve">%s</t></is></c>'
_NUMBER_CELL = b"<c><v>%s</v></c>"
# The cells that the column templates make of NULL, which is an empty CSV
# field. They become EMPTY_CELL once a batch is joined. Escaped text never
# contains them, because "<" in text is written as "&lt;".
_NULL_CELLS = (_NUMBER_CELL % b"", _TEXT_CELL % b"")


def escape_text(value: str) -> str:
    """Escape text for an XML element and drop the characters XML forbids."""
    if _NEEDS_TRANSLATION.search(value):
        return value.translate(_TEXT_TABLE)
    return value


def sheet_title(name: str) -> str:
    """Return a valid sheet title made from a resource name."""
    title = _NEEDS_TRANSLATION.sub("", (name or "").translate(TITLE_FORBIDDEN))
    # Excel rejects titles that start or end with an apostrophe.
    title = title.strip("' ")[:MAX_TITLE_LENGTH].strip("' ")
    return title or "data"


def text_cell(value: str, style: int = 0) -> bytes:
    """Write a text cell, or an empty cell for empty text."""
    if not value:
        return EMPTY_CELL
    # NOTE: Excel shows at most 32767 characters per cell, so longer text
    # is cut in the XLSX download (the other formats keep it whole).
    if len(value) > MAX_CELL_LENGTH:
        value = value[:MAX_CELL_LENGTH]
    style_attribute = ' s="%d"' % style if style else ""
    return ('<c t="inlineStr"%s><is><t xml:space="preserve">%s</t></is></c>' % (
        style_attribute, escape_text(value))).encode("utf-8")


def _number_cell(value: str) -> bytes:
    if not value:
        return EMPTY_CELL
    try:
        number = float(value)
    except ValueError:
        return text_cell(value)
    # PostgreSQL writes NaN and Infinity, which Excel cannot store.
    if not math.isfinite(number):
        return text_cell(value)
    return _NUMBER_CELL % value.encode("ascii")


def _integer_cell(value: str) -> bytes:
    if len(value.lstrip("-")) > MAX_EXACT_DIGITS:
        return text_cell(value)
    return _number_cell(value)


def _date_cell(value: str) -> bytes:
    if not value:
        return EMPTY_CELL
    try:
        day = datetime.date.fromisoformat(value)
    except ValueError:
        # Such as the BC dates of PostgreSQL ("0044-03-15 BC").
        return text_cell(value)
    if day < _FIRST_EXACT_DATE:
        return text_cell(value)
    return b'<c s="%d"><v>%d</v></c>' % (STYLE_DATE, day.toordinal() - _EXCEL_EPOCH_ORDINAL)


def _timestamp_cell(value: str) -> bytes:
    if not value:
        return EMPTY_CELL
    try:
        moment = datetime.datetime.fromisoformat(value)
    except ValueError:
        return text_cell(value)
    if moment.tzinfo is not None or moment.date() < _FIRST_EXACT_DATE:
        # Excel dates have no time zone, so an offset would be lost.
        return text_cell(value)
    seconds = moment.hour * 3600 + moment.minute * 60 + moment.second + moment.microsecond / 1e6
    serial = moment.toordinal() - _EXCEL_EPOCH_ORDINAL + seconds / 86400
    return b'<c s="%d"><v>%a</v></c>' % (STYLE_DATETIME, serial)


def _boolean_cell(value: str) -> bytes:
    # PostgreSQL's CSV output writes booleans as t and f.
    if value == "t":
        return b'<c t="b"><v>1</v></c>'
    if value == "f":
        return b'<c t="b"><v>0</v></c>'
    return text_cell(value)


def _json_cell(value: str) -> bytes:
    # The DataStore stores JSON with non-ASCII characters as \u escapes,
    # which are unreadable in a spreadsheet.
    if "\\u" in value:
        try:
            value = json.dumps(json.loads(value), ensure_ascii=False)
        except ValueError:
            pass
    return text_cell(value)


def cell_writer(field_type: str) -> Callable[[str], bytes]:
    """Return the function that writes one cell of a DataStore field type,
    from the field's text in PostgreSQL's CSV output."""
    field_type = (field_type or "").lower()
    if field_type in INTEGER_TYPES:
        return _integer_cell
    if field_type in NUMBER_TYPES:
        return _number_cell
    if field_type in DATE_TYPES:
        return _date_cell
    if field_type in TIMESTAMP_TYPES:
        return _timestamp_cell
    if field_type in BOOLEAN_TYPES:
        return _boolean_cell
    if field_type == "json":
        return _json_cell
    # Text, and the text form of json, arrays, time and interval fields.
    return text_cell


# Any character but those of the decimal numbers that PostgreSQL writes, and
# NUL, which separates the values of a column.
_NOT_DECIMAL = re.compile("[^-+.0-9eE\x00]")


def column_cells(write: Callable[[str], bytes], values: Sequence[str]) -> Iterable[bytes]:
    """Write the cells of one column of a batch as UTF-8.

    Formatting a whole column with ``map`` and bytes templates runs the
    loop in C, several times faster than a Python call per cell. The fast
    paths apply only when no value in the batch needs escaping, cutting or
    checking. The other batches go through ``write`` cell by cell.
    NULL (an empty field) comes out as one of _NULL_CELLS.
    """
    if write is text_cell or write is _number_cell or write is _integer_cell:
        # NUL separates the values. It is never valid in XML, so a value
        # containing NUL takes the slow path, which drops it.
        joined = "\x00".join(values)
        fast = joined.count("\x00") == len(values) - 1
        if write is text_cell:
            fast = fast and not _NEEDS_ESCAPE.search(joined) and max(map(len, values)) <= MAX_CELL_LENGTH
            template = _TEXT_CELL
        else:
            fast = fast and not _NOT_DECIMAL.search(joined)
            if write is _integer_cell:
                fast = fast and max(map(len, values)) <= MAX_EXACT_DIGITS
            template = _NUMBER_CELL
        if fast:
            return map(template.__mod__, joined.encode("utf-8").split(b"\x00"))
    elif write is _date_cell or write is _timestamp_cell or write is _boolean_cell:
        # Dates repeat a lot within a table, so each distinct value is
        # written once per batch.
        cells = {value: write(value) for value in set(values)}
        return map(cells.__getitem__, values)
    return map(write, values)


def _column_batches(pages: Iterable[str], width: int) -> Iterator[tuple[list[Sequence[str]], int]]:
    """Parse the CSV pages in batches of at most BATCH_ROWS rows, so that
    the formatted text of only one batch is in memory at a time. Yields the
    values of each column of a batch, with the number of rows."""
    for page in pages:
        if '"' in page or "\r" in page:
            reader = csv.reader(io.StringIO(page, newline=""))
            while True:
                batch = list(itertools.islice(reader, BATCH_ROWS))
                if not batch:
                    break
                yield list(zip(*batch)), len(batch)
            continue
        # PostgreSQL quotes every field that contains a comma, a quote or a
        # line break, and ends rows with a line feed. So the values of a
        # batch of lines without quotes come from splitting them at commas,
        # and column i is every width-th value from the i-th. That is faster
        # than csv.reader, which builds a list per row.
        lines = page.split("\n")
        if not lines[-1]:
            lines.pop()  # after the last line feed
        for start in range(0, len(lines), BATCH_ROWS):
            batch = lines[start:start + BATCH_ROWS]
            values = ",".join(batch).split(",")
            yield [values[column::width] for column in range(width)], len(batch)


def _batch_rows(writers: list[Callable[[str], bytes]], columns: list[Sequence[str]]) -> bytes:
    """Return the row elements of a batch of CSV rows, given by column."""
    cells = [column_cells(write, values) for write, values in zip(writers, columns)]
    # One join over the cells of all rows, with the row tags between them.
    joined = b"".join(itertools.chain.from_iterable(zip(*cells, itertools.repeat(_ROW_SEPARATOR))))
    for null_cell in _NULL_CELLS:
        joined = joined.replace(null_cell, EMPTY_CELL)
    return b"<row>" + joined[:-len(_ROW_SEPARATOR)] + b"</row>"


_ROW_SEPARATOR = b"</row><row>"


def _wrap_rows(rows: list[bytes]) -> bytes:
    """Return the row elements of these rows of cells."""
    if not rows:
        return b""
    return b"<row>" + _ROW_SEPARATOR.join(rows) + b"</row>"


class _Sink:
    """A write-only file object that keeps what ZipFile writes until the
    stream takes it. It has no ``tell``, so ZipFile writes sizes after each
    part (data descriptors) instead of seeking back."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []
        self.size = 0

    def write(self, data: bytes) -> int:
        self.chunks.append(bytes(data))
        self.size += len(data)
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self.chunks)
        self.chunks = []
        self.size = 0
        return data


def csv_row_batches(field_types: list[str], pages: Iterable[str]) -> Iterator[tuple[bytes, int]]:
    """Format CSV pages as row elements, in batches of BATCH_ROWS rows.

    ``pages`` yields the rows as CSV text without a header, as
    ``datastore_search`` returns them with ``records_format=csv``, in the
    order of ``field_types``. PostgreSQL writes NULL as an empty field, like
    the empty string, so both become empty cells. Yields each batch's row
    elements with its number of rows.
    """
    writers = [cell_writer(field_type) for field_type in field_types]
    for columns, rows in _column_batches(pages, len(writers)):
        yield _batch_rows(writers, columns), rows


def _first_rows(data: bytes, rows: int) -> bytes:
    """Return the first ``rows`` row elements of ``data``."""
    end = 0
    for _ in range(rows):
        end = data.index(b"</row>", end) + len(b"</row>")
    return data[:end]


def stream_workbook(
    title: str,
    header: list[str],
    row_batches: Iterable[tuple[bytes, int]],
    truncation_note: Callable[[int], str],
    max_rows: int = MAX_ROWS,
    chunk_size: int = 64 * 1024,
) -> Iterator[bytes]:
    """Write a one-sheet workbook and yield the XLSX file in chunks.

    ``row_batches`` yields the ``<row>`` elements of the data rows in
    batches, each with its number of rows. At most ``max_rows`` sheet rows
    are written, counting the header. When the table has more, the last of
    them is replaced by the text of ``truncation_note(data_rows_written)``
    in column A.
    """
    if max_rows < MIN_ROWS:
        raise ValueError("max_rows must be at least %d: the header, a row and the note" % MIN_ROWS)
    sink = _Sink()
    archive = zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=COMPRESS_LEVEL)
    archive.writestr("[Content_Types].xml", CONTENT_TYPES_XML)
    archive.writestr("_rels/.rels", ROOT_RELS_XML)
    archive.writestr("xl/workbook.xml", WORKBOOK_XML.format(title=escape_text(sheet_title(title)).replace('"', "&quot;")))
    archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS_XML)
    archive.writestr("xl/styles.xml", STYLES_XML)
    yield sink.take()

    with archive.open("xl/worksheets/sheet1.xml", "w") as sheet:
        header_cells = b"".join(text_cell(name, _STYLE_HEADER) for name in header)
        sheet.write(SHEET_START.encode("utf-8") + _wrap_rows([header_cells]))
        data_rows_max = max_rows - 1
        written = 0
        sheet_bytes = 0
        # The rows of the last batch so far stay unwritten, so that the note
        # can take the place of the last row when the table turns out to
        # be longer.
        unwritten = b""
        truncated = False
        for data, rows in row_batches:
            room = data_rows_max - written
            if rows > room:
                data = _first_rows(data, room)
                rows = room
                truncated = True
            if sheet_bytes + len(unwritten) + len(data) > MAX_SHEET_BYTES:
                data = data[:data.rfind(b"<row", 0, MAX_SHEET_BYTES - sheet_bytes - len(unwritten))]
                rows = data.count(b"</row>")
                truncated = True
            written += rows
            if truncated:
                unwritten += data
                break
            sheet.write(unwritten)
            sheet_bytes += len(unwritten)
            unwritten = data
            if sink.size >= chunk_size:
                yield sink.take()
        if truncated:
            # "<row" never occurs inside a cell, because text has "<" escaped.
            unwritten = unwritten[:unwritten.rfind(b"<row")] + _wrap_rows([text_cell(truncation_note(written - 1))])
        sheet.write(unwritten + SHEET_END.encode("utf-8"))
    archive.close()
    yield sink.take()
