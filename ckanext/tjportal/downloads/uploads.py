"""Checks of uploaded CSV, TSV and XLSX files before CKAN stores them.

ckanext-xloader 2.6.0 guesses the encoding with chardet and ignores a guess
with a confidence of 0.7 or less, falling back to cp1252 when tabulator's own
guess fails (loader.UnknownEncodingStream). chardet 7.6 gives small GBK
tables a confidence of about 0.1 to 0.2, so they load as mojibake. xloader
also empties the existing DataStore table before it reads the rows, so a
file with a broken row can leave the resource with no data. This module therefore converts each uploaded CSV or
TSV file to UTF-8 without a byte order mark and parses it completely first.
A file that cannot be decoded or parsed is rejected with a ValidationError
naming the line, so the upload form shows why and the stored file and table
stay as they were. XLSX uploads are only checked: a workbook that openpyxl
cannot open, or whose first sheet has no header row, is rejected.
"""
from __future__ import annotations

import codecs
import csv
import io
import logging
from typing import Any, Optional

from werkzeug.datastructures import FileStorage

import ckan.plugins.toolkit as tk

log = logging.getLogger(__name__)

# Formats whose uploads are converted and checked, and their delimiters.
DELIMITERS = {"csv": ",", "tsv": "\t"}

# Spreadsheet formats whose uploads are only checked.
WORKBOOK_FORMATS = ("xlsx",)

# Tried in this order. GB18030 decodes every GBK and GB2312 file, while
# almost no GBK text is also valid UTF-8.
ENCODINGS = ("utf-8", "gb18030")


class UploadError(Exception):
    """An uploaded table that cannot be loaded. Its message is the reason."""


def _format(resource: dict[str, Any], upload: FileStorage) -> Optional[str]:
    known = (*DELIMITERS, *WORKBOOK_FORMATS)
    fmt = (resource.get("format") or "").strip().lower().lstrip(".")
    if fmt in known:
        return fmt
    extension = (upload.filename or "").rsplit(".", 1)[-1].lower()
    return extension if extension in known else None


def check_workbook(content: bytes) -> None:
    """Raise UploadError unless the first sheet of an XLSX file has a header row."""
    # openpyxl and numpy, which it imports when installed, take about 20 MB
    # of every web worker, so they are loaded only when an XLSX is uploaded.
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    except Exception as error:  # noqa: BLE001 - openpyxl raises many types for a broken file
        raise UploadError(tk._(
            "The file is not a readable XLSX workbook ({error}). Save it again "
            "as .xlsx in Excel or WPS and upload it again.").format(error=error))
    try:
        header = next(workbook.worksheets[0].iter_rows(max_row=1, values_only=True), None) \
            if workbook.worksheets else None
    finally:
        workbook.close()
    if not header or not any(cell not in (None, "") for cell in header):
        raise UploadError(tk._("The file has no header row."))


def decode_table(content: bytes) -> tuple[str, str]:
    """Return the text of a table file and the name of its encoding.

    A UTF-8 byte order mark is removed. Raises UploadError when neither
    UTF-8 nor GB18030 decodes the bytes.
    """
    if content.startswith(codecs.BOM_UTF8):
        content = content[len(codecs.BOM_UTF8):]
        try:
            return content.decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as error:
            raise UploadError(tk._(
                "The file starts with a UTF-8 byte order mark but is not valid "
                "UTF-8 at byte {position}. Save it again as UTF-8 and upload it again."
            ).format(position=error.start + len(codecs.BOM_UTF8)))
    for encoding in ENCODINGS:
        try:
            return content.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise UploadError(tk._(
        "The file is neither UTF-8 nor GB18030 (GBK) text. Save it as CSV in "
        "UTF-8 and upload it again."))


def check_table(text: str, delimiter: str) -> int:
    """Parse every row and return the number of data rows.

    Raises UploadError for an empty header, a header cell without a name or
    a row with more values than the header has columns.
    """
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = next(reader, None)
        if not header or not any(cell.strip() for cell in header):
            raise UploadError(tk._("The file has no header row."))
        width = len(header)
        while width and not header[width - 1].strip():
            width -= 1
        if any(not cell.strip() for cell in header[:width]):
            raise UploadError(tk._(
                "Every column of the header row needs a name; column {column} "
                "has none.").format(
                    column=[cell.strip() for cell in header[:width]].index("") + 1))
        rows = 0
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            rows += 1
            extra = [cell for cell in row[width:] if cell.strip()]
            if extra:
                raise UploadError(tk._(
                    "Line {line} has {count} values but the header has {columns} "
                    "columns. A value that contains the delimiter must be in "
                    "double quotes.").format(
                        line=reader.line_num, count=len(row), columns=width))
    except csv.Error as error:
        raise UploadError(tk._("Line {line} cannot be parsed: {error}").format(
            line=reader.line_num, error=error))
    return rows


def normalize_upload(resource: dict[str, Any]) -> None:
    """Convert a CSV or TSV upload in ``resource["upload"]`` to UTF-8 and
    check it, or check an XLSX upload.

    Raises ValidationError on the ``upload`` field when the file cannot be
    loaded. Other uploads are left as they are.
    """
    upload = resource.get("upload")
    if not isinstance(upload, FileStorage) or not upload.filename:
        return
    fmt = _format(resource, upload)
    if fmt is None:
        return
    upload.stream.seek(0)
    content = upload.stream.read()
    try:
        if fmt in WORKBOOK_FORMATS:
            check_workbook(content)
            upload.stream.seek(0)
            return
        text, encoding = decode_table(content)
        rows = check_table(text, DELIMITERS[fmt])
    except UploadError as error:
        log.info("Rejected upload %s: %s", upload.filename, error)
        raise tk.ValidationError({"upload": [str(error)]})
    if encoding == "utf-8":
        upload.stream.seek(0)
        return
    log.info("Converted upload %s from %s to UTF-8 (%d rows)", upload.filename, encoding, rows)
    resource["upload"] = FileStorage(
        stream=io.BytesIO(text.encode("utf-8")),
        filename=upload.filename,
        name=upload.name,
        content_type=upload.content_type,
    )


def is_uploaded_file(resource_id: str) -> bool:
    """Return True when the resource is a file uploaded to this site.

    ckanext-xloader fetches a link resource from wherever its URL points,
    so loading only uploads keeps the worker from requesting other hosts.
    """
    from ckan import model

    resource = model.Resource.get(resource_id)
    return resource is not None and resource.url_type == "upload"
