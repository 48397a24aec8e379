//! Schema migrations: a constant list, applied in one transaction, version in `user_version`.

use rusqlite::Connection;

/// `PRAGMA application_id` of a Caseboard case ("CSBD").
pub const APPLICATION_ID: i64 = 0x4353_4244;

/// Each entry moves the schema from version `i` to `i + 1`. Never edit a released entry:
/// append a new one.
pub const MIGRATIONS: &[&str] = &[
    // 1: the spine
    r#"
CREATE TABLE sources (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL,
    sha256 TEXT NOT NULL UNIQUE,
    size INTEGER NOT NULL,
    format TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    counts TEXT NOT NULL,      -- JSON Counts
    merged INTEGER NOT NULL,
    skipped TEXT NOT NULL      -- JSON [{record, reason}]
);
CREATE TABLE alerts (
    id INTEGER PRIMARY KEY,
    ext_id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    alert_type TEXT NOT NULL,
    severity INTEGER,          -- 0 Informational .. 3 High
    status TEXT NOT NULL,      -- triage status (Active/InProgress/Resolved/Dismissed)
    classification TEXT NOT NULL DEFAULT '',
    owner TEXT NOT NULL DEFAULT '',
    provider TEXT NOT NULL,
    product TEXT NOT NULL,
    vendor TEXT NOT NULL,
    description TEXT NOT NULL,
    remediation TEXT NOT NULL, -- JSON [string]
    tactics TEXT NOT NULL,     -- JSON [string]
    techniques TEXT NOT NULL,  -- JSON [string]
    start_time TEXT,
    end_time TEXT,
    generated TEXT,
    compromised_entity TEXT NOT NULL,
    resource_id TEXT NOT NULL,
    extended TEXT NOT NULL,    -- JSON object
    contains_alerts TEXT NOT NULL, -- JSON [ext_id]
    raw TEXT NOT NULL,         -- the original record, JSON
    source_id INTEGER NOT NULL REFERENCES sources(id),
    record INTEGER NOT NULL
);
CREATE INDEX alerts_time ON alerts(start_time);
CREATE TABLE incidents (
    id INTEGER PRIMARY KEY,
    ext_id TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    number INTEGER,
    severity INTEGER,
    status TEXT NOT NULL,
    classification TEXT NOT NULL DEFAULT '',
    owner TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL,
    created TEXT,
    first_activity TEXT,
    last_activity TEXT,
    provider TEXT NOT NULL,
    tactics TEXT NOT NULL,
    labels TEXT NOT NULL,
    reason TEXT,               -- set for incidents Caseboard derived
    props TEXT NOT NULL,
    raw TEXT NOT NULL,
    source_id INTEGER REFERENCES sources(id),
    record INTEGER
);
-- joined to alerts by external id so files can come in any order
CREATE TABLE incident_alerts (
    incident_id INTEGER NOT NULL REFERENCES incidents(id),
    alert_ext_id TEXT NOT NULL,
    PRIMARY KEY (incident_id, alert_ext_id)
);
CREATE INDEX incident_alerts_alert ON incident_alerts(alert_ext_id);
CREATE TABLE entities (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    key TEXT NOT NULL UNIQUE,
    strength TEXT NOT NULL,    -- strong / weak / none
    label TEXT NOT NULL,
    alias TEXT,                -- shared by entities that might be the same thing
    props TEXT NOT NULL,       -- JSON object, merged across records
    source_id INTEGER NOT NULL REFERENCES sources(id),
    record INTEGER NOT NULL
);
-- every identity key an entity is known by (its own and other strong identifiers seen)
CREATE TABLE entity_keys (
    key TEXT PRIMARY KEY,
    entity_id INTEGER NOT NULL REFERENCES entities(id)
) WITHOUT ROWID;
CREATE INDEX entity_keys_entity ON entity_keys(entity_id);
CREATE INDEX entities_kind ON entities(kind);
CREATE INDEX entities_alias ON entities(alias);
CREATE TABLE relations (
    id INTEGER PRIMARY KEY,
    src TEXT NOT NULL,         -- node id: alert:N / incident:N / entity:N / event:N
    dst TEXT NOT NULL,
    kind TEXT NOT NULL,
    props TEXT NOT NULL,
    source_id INTEGER REFERENCES sources(id),
    record INTEGER,            -- provenance: the first record of the source that said so
    n INTEGER NOT NULL DEFAULT 1 -- how many records of that source said so (entity-to-entity
                               -- relations are stored once per source, see cb-store TxSink)
);
CREATE INDEX relations_src ON relations(src, kind);
CREATE INDEX relations_dst ON relations(dst, kind);
CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    source_id INTEGER NOT NULL REFERENCES sources(id),
    record INTEGER NOT NULL,
    source TEXT NOT NULL,      -- table / log type
    channel TEXT NOT NULL,
    event_id TEXT,
    time TEXT,
    summary TEXT NOT NULL,
    fields TEXT NOT NULL       -- JSON object, the original fields
);
CREATE INDEX events_time ON events(time);
CREATE INDEX events_source ON events(source);
CREATE TABLE audit (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    detail TEXT NOT NULL,      -- JSON
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
"#,
    // 2: investigations (saved maps, undo history) — owned by crates/graph
    r#"
CREATE TABLE investigations (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    start TEXT NOT NULL,       -- node id the map started from
    created TEXT NOT NULL,
    initial TEXT NOT NULL,     -- JSON map state before any operation
    cursor INTEGER NOT NULL DEFAULT 0, -- operations 0..cursor are applied; the rest can be redone
    state TEXT NOT NULL        -- JSON map state at cursor (a cache of replaying the history)
);
CREATE TABLE investigation_ops (
    investigation_id INTEGER NOT NULL REFERENCES investigations(id),
    seq INTEGER NOT NULL,      -- 0-based position in the history
    op TEXT NOT NULL,          -- JSON map operation
    effect TEXT NOT NULL,      -- JSON nodes and edges the operation brought from the case, so replay never re-queries
    at TEXT NOT NULL,
    PRIMARY KEY (investigation_id, seq)
);
-- exploration query "alerts of the same type"
CREATE INDEX alerts_type ON alerts(alert_type);
"#,
    // 3: full-text search over events, alerts and entities — owned by crates/search.
    // `search_fts`: one contentless FTS5 table, rowid = id * 4 + (0 event | 1 alert | 2 entity);
    // `body` is the original fields' JSON text, whose tokens keep each name next to its value,
    // so `field:value` is the FTS phrase "name value". `entity_fts` (rowid = entity id) is the
    // small index behind `host:`/`user:`/`ip:`… so those never scan event postings.
    // Alerts are indexed by triggers; events and entities by the import transaction
    // (cb-store `TxSink`, the only writer of those rows) with plain single-row inserts: a
    // trigger opens a statement savepoint and FTS5 flushes its pending terms to disk at every
    // savepoint, which made a segment per event and cost most of the import time.
    r#"
CREATE VIRTUAL TABLE search_fts USING fts5(summary, body, content = '', contentless_delete = 1, tokenize = 'unicode61 remove_diacritics 2');
CREATE VIRTUAL TABLE entity_fts USING fts5(summary, body, content = '', contentless_delete = 1, tokenize = 'unicode61 remove_diacritics 2');
-- bulk import: the pending-terms hash is flushed as a new segment each time it reaches
-- `hashsize`; 1 MiB (the default) made thousands of small segments that automerge kept
-- rewriting. 64 MiB per flush keeps segments few and large, and merging 16 segments of a
-- level at a time (default 4) rewrites each posting fewer times as the case grows
-- (perf corpus: import +10%, search p50/p95 unchanged).
INSERT INTO search_fts(search_fts, rank) VALUES ('hashsize', 67108864);
INSERT INTO search_fts(search_fts, rank) VALUES ('automerge', 16);
INSERT INTO entity_fts(entity_fts, rank) VALUES ('hashsize', 8388608);
CREATE INDEX events_event_id ON events(event_id);
-- time and source of every searchable doc, small rows: counting and ordering hits never reads
-- the wide events rows
CREATE TABLE search_docs (d INTEGER PRIMARY KEY, time TEXT, source TEXT NOT NULL);
CREATE TRIGGER search_events_ad AFTER DELETE ON events BEGIN
  DELETE FROM search_docs WHERE d = old.id * 4;
  DELETE FROM search_fts WHERE rowid = old.id * 4;
END;
CREATE TRIGGER search_alerts_ai AFTER INSERT ON alerts BEGIN
  INSERT INTO search_docs(d, time, source) VALUES (new.id * 4 + 1, new.start_time, 'SecurityAlert');
  INSERT INTO search_fts(rowid, summary, body) VALUES (new.id * 4 + 1, new.name, 'SecurityAlert ' || new.alert_type || ' ' || CASE new.severity WHEN 3 THEN 'High' WHEN 2 THEN 'Medium' WHEN 1 THEN 'Low' WHEN 0 THEN 'Informational' ELSE '' END || ' ' || new.status || ' ' || new.provider || ' ' || new.product || ' ' || new.vendor || ' ' || new.compromised_entity || ' ' || new.resource_id || ' ' || new.description || ' ' || new.tactics || ' ' || new.techniques || ' ' || new.extended);
END;
CREATE TRIGGER search_alerts_au AFTER UPDATE ON alerts BEGIN
  UPDATE search_docs SET time = new.start_time WHERE d = old.id * 4 + 1;
  DELETE FROM search_fts WHERE rowid = old.id * 4 + 1;
  INSERT INTO search_fts(rowid, summary, body) VALUES (new.id * 4 + 1, new.name, 'SecurityAlert ' || new.alert_type || ' ' || CASE new.severity WHEN 3 THEN 'High' WHEN 2 THEN 'Medium' WHEN 1 THEN 'Low' WHEN 0 THEN 'Informational' ELSE '' END || ' ' || new.status || ' ' || new.provider || ' ' || new.product || ' ' || new.vendor || ' ' || new.compromised_entity || ' ' || new.resource_id || ' ' || new.description || ' ' || new.tactics || ' ' || new.techniques || ' ' || new.extended);
END;
CREATE TRIGGER search_alerts_ad AFTER DELETE ON alerts BEGIN
  DELETE FROM search_docs WHERE d = old.id * 4 + 1;
  DELETE FROM search_fts WHERE rowid = old.id * 4 + 1;
END;
CREATE TRIGGER search_entities_ad AFTER DELETE ON entities BEGIN
  DELETE FROM search_docs WHERE d = old.id * 4 + 2;
  DELETE FROM search_fts WHERE rowid = old.id * 4 + 2;
  DELETE FROM entity_fts WHERE rowid = old.id;
END;
-- cases created before this migration: index what they hold
INSERT INTO search_docs(d, time, source) SELECT id * 4, time, source FROM events;
INSERT INTO search_docs(d, time, source) SELECT id * 4 + 1, start_time, 'SecurityAlert' FROM alerts;
INSERT INTO search_docs(d, time, source) SELECT id * 4 + 2, NULL, 'Entity' FROM entities;
INSERT INTO search_fts(rowid, summary, body) SELECT e.id * 4, e.summary, e.source || ' ' || e.channel || ' ' || ifnull(e.event_id, '') || ' ' || e.fields FROM events AS e;
INSERT INTO search_fts(rowid, summary, body) SELECT a.id * 4 + 1, a.name, 'SecurityAlert ' || a.alert_type || ' ' || CASE a.severity WHEN 3 THEN 'High' WHEN 2 THEN 'Medium' WHEN 1 THEN 'Low' WHEN 0 THEN 'Informational' ELSE '' END || ' ' || a.status || ' ' || a.provider || ' ' || a.product || ' ' || a.vendor || ' ' || a.compromised_entity || ' ' || a.resource_id || ' ' || a.description || ' ' || a.tactics || ' ' || a.techniques || ' ' || a.extended FROM alerts AS a;
INSERT INTO search_fts(rowid, summary, body) SELECT n.id * 4 + 2, n.label, n.kind || ' ' || n.props FROM entities AS n;
INSERT INTO entity_fts(rowid, summary, body) SELECT n.id, n.label, n.kind || ' ' || n.props FROM entities AS n;
"#,
    // 4: triage — severity override, notes, tags, entities marked as related
    crate::triage::SCHEMA,
    // 5: the sealed chain (signatures, signed head, case id) and absolute source paths
    crate::integrity::SCHEMA,
    // 6: `events.fields` of new rows is the fields' JSON compressed (a zstd frame, BLOB,
    // maybe with its source's dictionary from `field_dicts`, id = the zstd dictionary id);
    // rows of older imports keep their JSON text. Read only through `crate::fields` (SQL:
    // `cb_fields(fields)`). Nothing to rewrite; the version also says that a Caseboard that
    // cannot read such rows must not open the case.
    "CREATE TABLE field_dicts (id INTEGER PRIMARY KEY, source TEXT NOT NULL, dict BLOB NOT NULL, source_id INTEGER REFERENCES sources(id));",
    // 7: the relation indexes cover the other end: a hub's neighbours (300k `mentions` of a
    // host) are read from the index alone, without a table lookup per relation (perf corpus:
    // listing a hub's queries -35 %, path between hubs -25 %; the mentions of a node made by
    // entities are one range of `relations_dst`). Same names as before.
    r#"
DROP INDEX relations_src;
DROP INDEX relations_dst;
CREATE INDEX relations_src ON relations(src, kind, dst);
CREATE INDEX relations_dst ON relations(dst, kind, src);
-- events per (entity, source), see `crate::event_counts`; counted here for older cases (the
-- count `event_counts::check` makes, as it was when this migration was written)
CREATE TABLE entity_event_counts (
    entity INTEGER NOT NULL,
    source TEXT NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (entity, source)
) WITHOUT ROWID;
INSERT INTO entity_event_counts (entity, source, n)
SELECT CAST(substr(r.dst, 8) AS INTEGER), t.source, count(DISTINCT r.src)
FROM relations r JOIN search_docs t ON t.d = CAST(substr(r.src, 7) AS INTEGER) * 4
WHERE r.src LIKE 'event:%' AND r.dst LIKE 'entity:%'
GROUP BY 1, 2;
"#,
    // 8: the entities related to one same event, per ordered pair, with the smallest such
    // event and their number, see `crate::co_mentions` (what a path between two hubs walks
    // instead of their events); counted here for older cases (the count
    // `co_mentions::check` makes, as it was when this migration was written)
    r#"
CREATE TABLE co_mentions (
    a INTEGER NOT NULL,
    b INTEGER NOT NULL,
    event INTEGER NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (a, b)
) WITHOUT ROWID;
INSERT INTO co_mentions (a, b, event, n)
SELECT CAST(substr(r1.dst, 8) AS INTEGER), CAST(substr(r2.dst, 8) AS INTEGER),
       min(CAST(substr(r1.src, 7) AS INTEGER)), count(DISTINCT r1.src)
FROM relations r1 JOIN relations r2 ON r2.src = r1.src
WHERE r1.src LIKE 'event:%' AND r1.dst LIKE 'entity:%' AND r2.dst LIKE 'entity:%'
  AND r2.dst <> r1.dst
GROUP BY 1, 2;
"#,
    // 9: the fields of new events are compressed in blocks of consecutive events (see
    // `crate::fields`): `events.fields` says where in a block its text is. Rows of older
    // imports keep their own frames; nothing to rewrite. A Caseboard that cannot read blocks
    // must not open the case, hence the version.
    "CREATE TABLE field_blocks (id INTEGER PRIMARY KEY, source_id INTEGER NOT NULL REFERENCES sources(id), data BLOB NOT NULL);",
];

/// The schema version of the case behind `conn` (0: empty).
pub fn version(conn: &Connection) -> rusqlite::Result<usize> {
    Ok(conn.pragma_query_value(None, "user_version", |r| r.get::<_, i64>(0))? as usize)
}

/// Bring `conn` to the newest schema in one transaction.
pub fn migrate(conn: &mut Connection) -> rusqlite::Result<usize> {
    // Up to date: write nothing. Setting `application_id` even to the value it has is a write
    // transaction (a WAL frame, fsyncs, a checkpoint when the connection closes), which cost
    // every read-only command (`caseboard search`) several milliseconds.
    let version = |c: &Connection, p: &str| c.pragma_query_value(None, p, |r| r.get::<_, i64>(0));
    if version(conn, "user_version")? as usize == MIGRATIONS.len()
        && version(conn, "application_id")? == APPLICATION_ID
    {
        return Ok(MIGRATIONS.len());
    }
    let tx = conn.transaction()?;
    let current: usize =
        tx.pragma_query_value(None, "user_version", |r| r.get::<_, i64>(0))? as usize;
    for (i, m) in MIGRATIONS.iter().enumerate().skip(current) {
        tx.execute_batch(m)?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
    }
    tx.pragma_update(None, "application_id", APPLICATION_ID)?;
    tx.commit()?;
    Ok(MIGRATIONS.len())
}
