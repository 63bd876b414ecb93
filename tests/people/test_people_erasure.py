"""`signals forget` and `signals export-person`: nothing left, nothing comes back."""

from __future__ import annotations

import json

from sqlalchemy import func, inspect, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from sqlmodel import col

from signals.config import Settings
from signals.people import api, clock
from signals.store import models as db
from signals.store.models_people import ForgottenPerson, PeopleEvent
from tests.people.conftest import NOW, Invoke, run_pipeline
from tests.people.test_people_worked_example import CSV


def _rows_mentioning(engine: Engine, needles: list[str], contact_ids: set[int]) -> list[str]:
    """Every row of every table whose text holds a needle, or whose contact column is theirs."""
    found = []
    with engine.connect() as connection:
        inspector = inspect(connection)
        for table in inspector.get_table_names():
            columns = inspector.get_columns(table)
            names = [c["name"] for c in columns]
            quoted = ", ".join(f'"{n}"' for n in names)
            for row in connection.execute(text(f'SELECT {quoted} FROM "{table}"')):  # noqa: S608
                values = dict(zip(names, row, strict=True))
                blob = json.dumps(values, default=str).lower()
                if any(n.lower() in blob for n in needles):
                    found.append(f"{table}: {blob[:200]}")
                for name, value in values.items():
                    if name.endswith("contact_id") and value in contact_ids:
                        found.append(f"{table}.{name} = {value}")
    return found


def test_forget_leaves_no_row_about_the_person_and_blocks_their_posts(
    engine: Engine, settings: Settings, cli: Invoke
) -> None:
    run_pipeline(engine, settings)
    assert cli("contacts", "import", str(CSV)).exit_code == 0
    with Session(engine) as session:
        # Wendy: an imported contact with a merged-in Reddit contact, posts on two platforms.
        statement = select(db.Identity).where(col(db.Identity.handle) == "woo_hoo")
        wendy = session.scalars(statement).one().contact_id
        ids = {wendy} | set(
            session.scalars(
                select(col(db.Contact.id)).where(col(db.Contact.merged_into_id) == wendy)
            )
        )
        assert len(ids) == 2
        posts_before = session.scalar(select(func.count()).select_from(db.Post))
        authored = session.scalar(
            select(func.count())
            .select_from(db.Post)
            .where(col(db.Post.author).in_(["woo_hoo", "/u/woo_hoo", "marktangotango"]))
        )
        assert authored
    exported = cli("export-person", "reddit:woo_hoo")
    assert exported.exit_code == 0, exported.output
    held = json.loads(exported.stdout)
    assert {c["id"] for c in held["contacts"]} == ids
    assert {(i["platform"], i["handle"]) for i in held["identities"]} == {
        ("reddit", "woo_hoo"),
        ("hackernews", "marktangotango"),
    }
    assert len(held["posts"]) == authored
    assert held["activities"]
    assert held["contacts"][0]["email"] == "wendy.hoo@gmail.com"

    result = cli("forget", "wendy.hoo@gmail.com")
    assert result.exit_code == 0, result.output
    needles = ["woo_hoo", "marktangotango", "wendy", "Wendy Hoo"]
    assert _rows_mentioning(engine, needles, ids) == []
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(db.Post)) == posts_before - authored
        assert session.scalar(select(func.count()).select_from(ForgottenPerson)) == 3
        deletes = [p.payload for p in session.scalars(select(PeopleEvent)) if p.type == "delete"]
        assert [d["userId"] for d in deletes] == [f"contact-{wendy}"]

    # Ingesting the same posts again creates nothing of theirs.
    with Session(engine) as session:
        session.execute(text("UPDATE sources SET cursor_etag = NULL, cursor_last_modified = NULL"))
        session.commit()
    again = run_pipeline(engine, settings)
    assert again.new_posts == 0
    assert _rows_mentioning(engine, needles[:2], ids) == []
    # Nor does the CRM bring them back.
    reimport = cli("contacts", "import", str(CSV), "--json")
    rows = json.loads(reimport.stdout)["rows"]
    assert [r["status"] for r in rows if r["line"] == 4] == ["rejected"]
    assert _rows_mentioning(engine, needles, ids) == []


def test_forget_unknown_person_is_one_line_error(cli: Invoke, engine: Engine) -> None:
    result = cli("forget", "reddit:nobody_here")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: nobody matches 'reddit:nobody_here'")
    result = cli("forget", "just words")
    assert "give a contact id, an e-mail or PLATFORM:HANDLE" in result.stderr


def test_forget_through_the_api_is_not_committed_by_it(engine: Engine, settings: Settings) -> None:
    run_pipeline(engine, settings)
    with clock.fixed(NOW), Session(engine) as session:
        report = api.forget_person(session, "reddit:northnodes")
        assert report.contacts == 1
        assert report.identities == 1
        session.rollback()
    with Session(engine) as session:
        statement = select(db.Identity).where(col(db.Identity.handle) == "northnodes")
        assert session.scalars(statement).first() is not None
