"""`signals export`: Segment-spec events and HubSpot / Mautic CSV, from the worked example."""

from __future__ import annotations

import csv
import io
import json
import uuid
from datetime import datetime

from sqlalchemy.engine import Engine

from signals.config import Settings
from signals.people.exports import HUBSPOT_COLUMNS, MAUTIC_COLUMNS
from tests.people.conftest import Invoke, run_pipeline
from tests.people.test_people_worked_example import CSV

# The Segment spec's common fields, and what each call type adds (segment.com/docs/spec).
COMMON = {"type", "messageId", "timestamp", "context"}
BY_TYPE = {"identify": {"traits"}, "track": {"event", "properties"}, "group": {"groupId", "traits"}}


def _prepared(engine: Engine, settings: Settings, cli: Invoke) -> None:
    run_pipeline(engine, settings)
    assert cli("contacts", "import", str(CSV)).exit_code == 0


def test_segment_events_carry_the_required_fields(
    engine: Engine, settings: Settings, cli: Invoke
) -> None:
    _prepared(engine, settings, cli)
    result = cli("export", "--format", "segment")
    assert result.exit_code == 0, result.output
    events = [json.loads(line) for line in result.stdout.splitlines()]
    assert {e["type"] for e in events} == {"identify", "track", "group"}
    for event in events:
        assert COMMON | BY_TYPE[event["type"]] <= set(event), event
        assert bool(event.get("userId")) != bool(event.get("anonymousId"))
        uuid.UUID(event["messageId"])
        assert datetime.fromisoformat(event["timestamp"].replace("Z", "+00:00")).tzinfo
        assert not any(key.startswith("_") for key in event)
    assert len({e["messageId"] for e in events}) == len(events)
    nora = next(
        e for e in events if e["type"] == "identify" and e["traits"]["name"] == "Nora Wilde"
    )
    assert nora["traits"]["matrix_cell"] == "A2"
    assert nora["traits"]["lifecycle_stage"] == "MQL"
    signal = next(
        e
        for e in events
        if e["type"] == "track"
        and e["userId"] == nora["userId"]
        and e["event"] == "Buying Signal Detected"
    )
    assert signal["properties"]["url"].startswith("https://www.reddit.com/r/smallbusiness/")
    assert signal["properties"]["matrix_cell"] == "A2"
    assert signal["properties"]["buyer_stage"] == "evaluate"
    # The same facts give the same messageIds: receivers can drop repeats.
    again = [json.loads(line) for line in cli("export", "--format", "segment").stdout.splitlines()]
    tracks = {e["messageId"] for e in events if e["type"] == "track"}
    assert tracks == {e["messageId"] for e in again if e["type"] == "track"}


def test_since_limits_the_export_to_recent_activity(
    engine: Engine, settings: Settings, cli: Invoke
) -> None:
    _prepared(engine, settings, cli)
    result = cli("export", "--format", "segment", "--since", "2013-08-01")
    events = [json.loads(line) for line in result.stdout.splitlines()]
    tracked = [e for e in events if e["type"] == "track" and e["event"] == "Buying Signal Detected"]
    assert tracked
    assert all(e["timestamp"] >= "2013-08-01" for e in tracked)
    bad = cli("export", "--format", "segment", "--since", "last week")
    assert bad.exit_code == 2
    assert "is not an ISO date" in bad.stderr


def test_hubspot_and_mautic_csv_use_their_import_headers(
    engine: Engine, settings: Settings, cli: Invoke
) -> None:
    _prepared(engine, settings, cli)
    hubspot = list(csv.DictReader(io.StringIO(cli("export", "--format", "hubspot-csv").stdout)))
    mautic = list(csv.DictReader(io.StringIO(cli("export", "--format", "mautic-csv").stdout)))
    # HubSpot maps columns by property label; Mautic by contact field alias.
    assert list(hubspot[0]) == list(HUBSPOT_COLUMNS)
    assert list(HUBSPOT_COLUMNS[:7]) == [
        "Email", "First Name", "Last Name", "Job Title", "Company Name", "Website URL",
        "Lifecycle Stage",
    ]  # fmt: skip
    assert list(mautic[0]) == list(MAUTIC_COLUMNS)
    assert list(MAUTIC_COLUMNS[:9]) == [
        "email", "firstname", "lastname", "position", "company", "website", "points", "stage",
        "tags",
    ]  # fmt: skip
    nora = next(r for r in hubspot if r["Email"] == "nora@northwind.example")
    assert (nora["First Name"], nora["Last Name"], nora["Company Name"]) == (
        "Nora",
        "Wilde",
        "Northwind Supply",
    )
    assert nora["Lifecycle Stage"] == "marketingqualifiedlead"
    assert nora["Matrix Cell"] == "A2"
    assert nora["Website URL"] == "northwind.example"
    nora_m = next(r for r in mautic if r["email"] == "nora@northwind.example")
    assert nora_m["stage"] == "MQL"
    assert nora_m["tags"].split("|") == ["buying-signal", "cell-A2", "stage-evaluate"]
    unknown = cli("export", "--format", "salesforce")
    assert unknown.exit_code == 2
    assert "use one of segment, hubspot-csv, mautic-csv" in unknown.stderr
