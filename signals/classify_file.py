"""`signals classify FILE.jsonl`: the DESIGN.md contract, validated before any output is written."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from signals.app import AppContext
from signals.errors import InputError

if TYPE_CHECKING:
    from classifiers import Document

_SHAPE = 'each line must be a JSON object like {"id": "1", "text": "...", "title": "..."}'


def read_documents(lines: Iterable[str], name: str) -> tuple[list[Document], list[Any]]:
    """Every input line as a Document (and its id as given); InputError names the bad line."""
    from classifiers import Document

    documents: list[Document] = []
    ids: list[Any] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{name}:{number}: not valid JSON ({exc.msg}); {_SHAPE}") from None
        if not isinstance(record, dict):
            raise InputError(f"{name}:{number}: not a JSON object; {_SHAPE}")
        identifier = record.get("id")
        if isinstance(identifier, bool) or not isinstance(identifier, str | int):
            raise InputError(f'{name}:{number}: "id" must be a string or integer; {_SHAPE}')
        text = record.get("text")
        if not isinstance(text, str):
            raise InputError(f'{name}:{number}: "text" must be a string; {_SHAPE}')
        optional = {}
        for key in ("title", "context", "source"):
            value = record.get(key)
            if value is not None and not isinstance(value, str):
                raise InputError(f'{name}:{number}: "{key}" must be a string or null; {_SHAPE}')
            optional[key] = value
        documents.append(Document(id=str(identifier), text=text, **optional))
        ids.append(identifier)
    return documents, ids


def classify_command(context: AppContext, file: str) -> None:
    """Read and check the whole input, classify, then write all output at once."""
    name = "<stdin>" if file == "-" else file
    try:
        if file == "-":
            lines = sys.stdin.read().splitlines()
        else:
            with open(file, encoding="utf-8") as handle:
                lines = handle.read().splitlines()
    except FileNotFoundError:
        raise InputError(f"{name}: no such file; give a JSON Lines file or - for stdin") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"{name}: not UTF-8 text ({exc.reason}); save the file as UTF-8") from None
    except OSError as exc:
        raise InputError(f"{name}: cannot read it ({exc.strerror})") from None
    documents, ids = read_documents(lines, name)
    results = context.classifier.classify(documents)
    output = []
    for identifier, result in zip(ids, results, strict=True):
        record = result.to_contract(str(identifier))
        record["id"] = identifier  # the id comes back exactly as it was given
        output.append(json.dumps(record, ensure_ascii=False))
    if output:
        sys.stdout.write("\n".join(output) + "\n")
        sys.stdout.flush()
