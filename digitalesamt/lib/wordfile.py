"""A Word document (DOCX) of headings and paragraphs that a press office edits further.

python-docx writes it; Word and LibreOffice open it. Headings get Word's heading styles (so the
navigation pane and a style sheet know them), and the gaps left for people to fill in are
highlighted in yellow, so that none is sent unfilled by mistake.
"""

import datetime
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass

from docx import Document
from docx.enum.text import WD_COLOR_INDEX
from docx.oxml import OxmlElement
from docx.oxml.ns import qn

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@dataclass(frozen=True)
class Block:
    """One paragraph: `level` 0 for body text, 1 to 3 for a heading of that level."""

    text: str
    level: int = 0


def _set_language(document: Document, language: str) -> None:
    """Make `language` the default of every run, so that Word checks the spelling in it."""
    defaults = document.styles.element.find(qn("w:docDefaults"))
    run_properties = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    lang = run_properties.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        run_properties.append(lang)
    for attribute in ("w:val", "w:eastAsia", "w:bidi"):
        lang.set(qn(attribute), language)


def docx_bytes(
    blocks: Iterable[Block],
    *,
    title: str,
    author: str,
    language: str,
    gap: re.Pattern,
    created: datetime.datetime | None = None,
) -> bytes:
    """Write the blocks as a DOCX; every match of `gap` in a text is a highlighted run."""
    document = Document()
    properties = document.core_properties
    properties.title = title
    properties.author = author
    properties.last_modified_by = author
    properties.language = language
    if created is not None:
        properties.created = properties.modified = created
    _set_language(document, language)
    for block in blocks:
        if block.level:
            paragraph = document.add_heading(level=block.level)
        else:
            paragraph = document.add_paragraph()
        position = 0
        for found in gap.finditer(block.text):
            if found.start() > position:
                paragraph.add_run(block.text[position : found.start()])
            marked = paragraph.add_run(found.group(0))
            marked.font.highlight_color = WD_COLOR_INDEX.YELLOW
            position = found.end()
        if position < len(block.text):
            paragraph.add_run(block.text[position:])
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
