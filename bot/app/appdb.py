"""Application state in SQLite: users, invites, chat filters, feedback, contributions,
API keys, the question log and the audit log. Never pickled."""

from __future__ import annotations

import hashlib
import json
import secrets
import sqlite3
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

from bot.app.sqlrunner import SqliteRunner, SqlRunner

if TYPE_CHECKING:
    from bot.answers.models import Answer

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    user_id INTEGER PRIMARY KEY, role TEXT NOT NULL DEFAULT 'user', name TEXT,
    added_by INTEGER, added_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS invites (
    code TEXT PRIMARY KEY, created_by INTEGER NOT NULL, created_at REAL NOT NULL,
    expires_at REAL NOT NULL, used_by INTEGER, used_at REAL
);
CREATE TABLE IF NOT EXISTS chat_filters (
    chat_id INTEGER PRIMARY KEY, filters TEXT NOT NULL DEFAULT '{}', updated_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS questions (
    id INTEGER PRIMARY KEY AUTOINCREMENT, ts REAL NOT NULL, channel TEXT NOT NULL,
    abstained INTEGER NOT NULL, citations INTEGER NOT NULL DEFAULT 0,
    cited_docs TEXT NOT NULL DEFAULT '[]', terms TEXT NOT NULL DEFAULT '[]', question TEXT,
    cited TEXT NOT NULL DEFAULT '[]', uncertain INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT, ts REAL NOT NULL, channel TEXT NOT NULL,
    question_id INTEGER REFERENCES questions(id) ON DELETE SET NULL,
    vote INTEGER NOT NULL CHECK (vote IN (-1, 1)), comment TEXT
);
CREATE TABLE IF NOT EXISTS contributions (
    id INTEGER PRIMARY KEY AUTOINCREMENT, ts REAL NOT NULL, user_id INTEGER NOT NULL,
    chat_id INTEGER, file_name TEXT NOT NULL, stored_path TEXT NOT NULL, sha256 TEXT NOT NULL,
    city TEXT, title TEXT, status TEXT NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'approved', 'rejected')),
    reason TEXT, decided_by INTEGER, decided_at REAL, doc_id INTEGER
);
CREATE TABLE IF NOT EXISTS api_keys (
    id INTEGER PRIMARY KEY AUTOINCREMENT, prefix TEXT NOT NULL, key_hash TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL CHECK (role IN ('read', 'write', 'admin')), name TEXT,
    created_at REAL NOT NULL, revoked INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS rate_events (key TEXT NOT NULL, ts REAL NOT NULL);
CREATE INDEX IF NOT EXISTS rate_events_key ON rate_events(key, ts);
CREATE TABLE IF NOT EXISTS telegram_updates (
    update_id INTEGER PRIMARY KEY, taken_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS reviews (
    question_id INTEGER PRIMARY KEY REFERENCES questions(id) ON DELETE CASCADE,
    decision TEXT NOT NULL CHECK (decision IN ('passage', 'no_answer')),
    relevant TEXT NOT NULL DEFAULT '[]', decided_by TEXT NOT NULL, decided_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT, ts REAL NOT NULL, actor TEXT NOT NULL,
    action TEXT NOT NULL, detail TEXT NOT NULL DEFAULT '{}'
);
"""

# columns added after a release: (table, column, definition); an older SQLite file gets them
# when opened (PostgreSQL: bot/app/pgmigrations)
ADDED_COLUMNS = (("questions", "cited", "TEXT NOT NULL DEFAULT '[]'"),
                 ("questions", "uncertain", "INTEGER NOT NULL DEFAULT 0"))

ROLE_RANK = {"read": 0, "write": 1, "admin": 2}


@dataclass(frozen=True)
class Contribution:
    """A document sent by a user, waiting for (or past) an admin's decision."""

    id: int
    ts: float
    user_id: int
    chat_id: int | None
    file_name: str
    stored_path: str
    sha256: str
    city: str | None
    title: str | None
    status: str
    reason: str | None
    doc_id: int | None


class Review(NamedTuple):
    """A coordinator's decision on an answer voted 👎 (`passage` or `no_answer`)."""

    decision: str
    relevant: list[dict[str, str]]
    decided_at: float


@dataclass(frozen=True)
class ApiKey:
    """A stored API key (the secret itself is never stored)."""

    id: int
    prefix: str
    role: str
    name: str | None

    def allows(self, role: str) -> bool:
        """True when this key's role is at least `role`."""
        return ROLE_RANK[self.role] >= ROLE_RANK[role]


class AppDB:
    """Application tables on the store's SQLite connection or on PostgreSQL (thread-safe)."""

    def __init__(self, conn: sqlite3.Connection | SqlRunner) -> None:
        if isinstance(conn, sqlite3.Connection):
            self._sql: SqlRunner = SqliteRunner(conn, SCHEMA)
            for table, column, definition in ADDED_COLUMNS:
                if column not in {str(r[1]) for r in self._all(f"PRAGMA table_info({table})")}:
                    self._exec(f"ALTER TABLE {table} ADD COLUMN {column} {definition}")
        else:
            self._sql = conn

    def _exec(self, sql: str, args: tuple[Any, ...] = ()) -> int:
        """Run a statement; the number of rows it changed."""
        return self._sql.run(sql, args)[1]

    def _all(self, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        return self._sql.run(sql, args)[0]

    # ---- users and invites -------------------------------------------------------------
    def add_user(self, user_id: int, *, role: str = "user", name: str | None = None,
                 added_by: int | None = None) -> None:
        """Allow a Telegram user (idempotent)."""
        self._exec("INSERT INTO users(user_id, role, name, added_by, added_at) VALUES (?,?,?,?,?)"
                   " ON CONFLICT(user_id) DO UPDATE SET role=excluded.role",
                   (user_id, role, name, added_by, time.time()))

    def user_role(self, user_id: int) -> str | None:
        """The stored role of a user, or None when unknown."""
        rows = self._all("SELECT role FROM users WHERE user_id=?", (user_id,))
        return str(rows[0][0]) if rows else None

    def user_ids(self, role: str | None = None) -> list[int]:
        """Ids of stored users, optionally of one role."""
        if role is None:
            return [int(r[0]) for r in self._all("SELECT user_id FROM users ORDER BY user_id")]
        return [int(r[0]) for r in
                self._all("SELECT user_id FROM users WHERE role=? ORDER BY user_id", (role,))]

    def create_invite(self, created_by: int, *, ttl_s: float = 7 * 86400) -> str:
        """A new one-time invite code."""
        code = secrets.token_urlsafe(12)
        now = time.time()
        self._exec("INSERT INTO invites(code, created_by, created_at, expires_at) VALUES (?,?,?,?)",
                   (code, created_by, now, now + ttl_s))
        return code

    def redeem_invite(self, code: str, user_id: int) -> bool:
        """Use an invite code once; adds the user. False if unknown, used or expired."""
        if self._exec("UPDATE invites SET used_by=?, used_at=? WHERE code=? AND used_by IS NULL"
                      " AND expires_at>?", (user_id, time.time(), code, time.time())) != 1:
            return False  # one statement: two replicas never redeem the same code twice
        row = self._all("SELECT created_by FROM invites WHERE code=?", (code,))[0]
        self.add_user(user_id, added_by=int(row[0]))
        return True

    # ---- per-chat filters -------------------------------------------------------------
    def chat_filters(self, chat_id: int) -> dict[str, Any]:
        """The filters saved for a chat ({} when none)."""
        rows = self._all("SELECT filters FROM chat_filters WHERE chat_id=?", (chat_id,))
        return dict(json.loads(rows[0][0])) if rows else {}

    def set_chat_filters(self, chat_id: int, filters: dict[str, Any]) -> None:
        """Save (or with {} clear) a chat's filters."""
        self._exec("INSERT INTO chat_filters(chat_id, filters, updated_at) VALUES (?,?,?)"
                   " ON CONFLICT(chat_id) DO UPDATE SET filters=excluded.filters,"
                   " updated_at=excluded.updated_at",
                   (chat_id, json.dumps(filters), time.time()))

    # ---- question log and feedback -------------------------------------------------------
    def log_answer(self, answer: Answer, channel: str, *, log_questions: bool) -> int:
        """Log an answered question: no term of it unless logging is on (scrubbed then), and
        only then the passages its answer cited (for `raccordo feedback export`). A follow-up
        is logged as it was understood ("e chi lo nomina?" → "Chi lo nomina il segretario
        comunale?"): the question that was answered, whole for review and training."""
        from bot.app.privacy import loggable

        cited = sorted({c.doc_id for c in answer.citations if c.doc_id is not None})
        kept = loggable(answer.rewritten_question or answer.question, log_questions)
        passages = [{"file": c.file, "locator": c.locator, "quote": c.quote}
                    for c in answer.citations] if kept.text is not None else None
        return self.log_question(channel=channel, abstained=answer.abstained,
                                 cited_docs=cited, terms=kept.terms, question=kept.text,
                                 cited=passages, uncertain=answer.uncertain)

    def log_question(self, *, channel: str, abstained: bool, cited_docs: list[int],
                     terms: list[str], question: str | None = None,
                     cited: list[dict[str, str]] | None = None, uncertain: bool = False) -> int:
        """Record that a question was answered (and whether the answer was flagged as
        uncertain); text only when the caller passes it."""
        return self._sql.insert(
            "INSERT INTO questions(ts, channel, abstained, citations, cited_docs, terms, question,"
            " cited, uncertain) VALUES (?,?,?,?,?,?,?,?,?)",
            (time.time(), channel, int(abstained), len(cited_docs), json.dumps(cited_docs),
             json.dumps(terms), question, json.dumps(cited or [], ensure_ascii=False),
             int(uncertain)))

    def add_feedback(self, *, channel: str, vote: int, question_id: int | None = None,
                     comment: str | None = None) -> int:
        """Store a 👍 (+1) or 👎 (-1), optionally with a comment."""
        return self._sql.insert("INSERT INTO feedback(ts, channel, question_id, vote, comment)"
                                " VALUES (?,?,?,?,?)",
                                (time.time(), channel, question_id, vote, comment))

    def set_feedback_comment(self, feedback_id: int, comment: str) -> None:
        """Attach the optional 'cosa mancava?' reply to a feedback row."""
        self._exec("UPDATE feedback SET comment=? WHERE id=?", (comment, feedback_id))

    def feedback_rows(self) -> list[tuple[Any, ...]]:
        """All feedback rows (id, ts, channel, question_id, vote, comment)."""
        return self._all("SELECT id, ts, channel, question_id, vote, comment FROM feedback")

    def voted_answers(self) -> list[tuple[Any, ...]]:
        """(question id, question text, cited passages as JSON, vote, comment) of every vote
        on a logged question whose text was kept, oldest first."""
        return self._all("SELECT q.id, q.question, q.cited, f.vote, f.comment FROM feedback f"
                         " JOIN questions q ON q.id = f.question_id"
                         " WHERE q.question IS NOT NULL ORDER BY q.id, f.id")

    def save_review(self, question_id: int, *, decision: str,
                    relevant: list[dict[str, str]], decided_by: str) -> None:
        """Record (or replace) a coordinator's decision on an answer voted 👎: `passage` with
        its relevant passage, or `no_answer`."""
        self._exec("INSERT INTO reviews(question_id, decision, relevant, decided_by, decided_at)"
                   " VALUES (?,?,?,?,?) ON CONFLICT(question_id) DO UPDATE SET"
                   " decision=excluded.decision, relevant=excluded.relevant,"
                   " decided_by=excluded.decided_by, decided_at=excluded.decided_at",
                   (question_id, decision, json.dumps(relevant, ensure_ascii=False),
                    decided_by, time.time()))

    def reviews(self) -> dict[int, Review]:
        """Every decision on an answer voted 👎, by question id."""
        return {int(r[0]): Review(str(r[1]), json.loads(r[2]), float(r[3])) for r in
                self._all("SELECT question_id, decision, relevant, decided_at FROM reviews")}

    def has_question(self, question_id: int) -> bool:
        """True when the question log has a row with this id."""
        return bool(self._all("SELECT 1 FROM questions WHERE id=?", (question_id,)))

    def question_rows(self, since: float = 0.0) -> list[tuple[Any, ...]]:
        """Question log rows (id, ts, channel, abstained, citations, cited_docs, terms,
        question, cited, uncertain) since a timestamp."""
        return self._all("SELECT id, ts, channel, abstained, citations, cited_docs, terms,"
                         " question, cited, uncertain FROM questions WHERE ts>=? ORDER BY ts",
                         (since,))

    # ---- contributions -----------------------------------------------------------------
    def add_contribution(self, *, user_id: int, chat_id: int | None, file_name: str,
                         stored_path: str, sha256: str, city: str | None,
                         title: str | None) -> int:
        """Record a pending contribution."""
        return self._sql.insert(
            "INSERT INTO contributions(ts, user_id, chat_id, file_name, stored_path, sha256,"
            " city, title) VALUES (?,?,?,?,?,?,?,?)",
            (time.time(), user_id, chat_id, file_name, stored_path, sha256, city, title))

    def contribution(self, contribution_id: int) -> Contribution | None:
        """One contribution by id."""
        rows = self._all(_CONTRIB_SELECT + " WHERE id=?", (contribution_id,))
        return Contribution(*rows[0]) if rows else None

    def contributions(self, status: str | None = None) -> list[Contribution]:
        """Contributions, optionally of one status, oldest first."""
        if status is None:
            return [Contribution(*r) for r in self._all(_CONTRIB_SELECT + " ORDER BY id")]
        return [Contribution(*r) for r in
                self._all(_CONTRIB_SELECT + " WHERE status=? ORDER BY id", (status,))]

    def decide_contribution(self, contribution_id: int, *, status: str, decided_by: int,
                            reason: str | None = None, doc_id: int | None = None) -> bool:
        """Approve or reject a pending contribution; False if it was not pending."""
        return self._exec(
            "UPDATE contributions SET status=?, reason=?, decided_by=?, decided_at=?, doc_id=?"
            " WHERE id=? AND status='pending'",
            (status, reason, decided_by, time.time(), doc_id, contribution_id)) == 1

    # ---- API keys ----------------------------------------------------------------------
    def create_api_key(self, role: str, name: str | None = None) -> str:
        """Create a key and return the secret (shown once, stored only as a hash)."""
        if role not in ROLE_RANK:
            raise ValueError(f"ruolo sconosciuto: {role}")
        secret = "rcd_" + secrets.token_urlsafe(32)
        self._exec("INSERT INTO api_keys(prefix, key_hash, role, name, created_at)"
                   " VALUES (?,?,?,?,?)", (secret[:10], _hash_key(secret), role, name, time.time()))
        return secret

    def check_api_key(self, secret: str) -> ApiKey | None:
        """The key matching a presented secret, or None (revoked keys never match)."""
        rows = self._all("SELECT id, prefix, role, name FROM api_keys WHERE key_hash=?"
                         " AND revoked=0", (_hash_key(secret),))
        return ApiKey(*rows[0]) if rows else None

    def api_keys(self) -> list[tuple[ApiKey, float, bool]]:
        """Every stored key with its creation time and whether it is revoked."""
        rows = self._all("SELECT id, prefix, role, name, created_at, revoked FROM api_keys"
                         " ORDER BY id")
        return [(ApiKey(*r[:4]), float(r[4]), bool(r[5])) for r in rows]

    def revoke_api_key(self, key_id: int) -> bool:
        """Revoke a key; True if it existed."""
        return self._exec("UPDATE api_keys SET revoked=1 WHERE id=?", (key_id,)) == 1

    # ---- shared limits and the Telegram webhook ----------------------------------------
    def take_update(self, update_id: int) -> bool:
        """True for the first replica that takes a webhook update; False for its retries."""
        now = time.time()
        if update_id % 1000 == 0:  # now and then, forget updates older than a day
            self._exec("DELETE FROM telegram_updates WHERE taken_at < ?", (now - 86400,))
        return self._exec("INSERT INTO telegram_updates(update_id, taken_at) VALUES (?,?)"
                          " ON CONFLICT(update_id) DO NOTHING", (update_id, now)) == 1

    def rate_check(self, key: str, limit: int, window_s: float) -> float:
        """Record an event for `key` if fewer than `limit` fell in the last `window_s` seconds
        (0.0), else the seconds until a slot frees; shared by every process on this database.

        Two replicas racing on the last slot may both get it (one event over the limit).
        """
        now = time.time()
        self._exec("DELETE FROM rate_events WHERE key=? AND ts <= ?", (key, now - window_s))
        if self._exec("INSERT INTO rate_events(key, ts) SELECT ?, ? WHERE (SELECT COUNT(*)"
                      " FROM rate_events WHERE key=?) < ?", (key, now, key, limit)) == 1:
            return 0.0
        first = self._all("SELECT MIN(ts) FROM rate_events WHERE key=?", (key,))[0][0]
        return max(float(first or now) + window_s - now, 0.001)

    # ---- audit -------------------------------------------------------------------------
    def audit(self, actor: str, action: str, **detail: Any) -> None:
        """Append to the audit log."""
        self._exec("INSERT INTO audit(ts, actor, action, detail) VALUES (?,?,?,?)",
                   (time.time(), actor, action, json.dumps(detail, ensure_ascii=False)))

    def audit_rows(self, limit: int = 100) -> list[tuple[Any, ...]]:
        """The latest audit entries (ts, actor, action, detail)."""
        return self._all("SELECT ts, actor, action, detail FROM audit ORDER BY id DESC LIMIT ?",
                         (limit,))


_CONTRIB_SELECT = ("SELECT id, ts, user_id, chat_id, file_name, stored_path, sha256, city, title,"
                   " status, reason, doc_id FROM contributions")


def _hash_key(secret: str) -> str:
    # API keys are 256-bit random secrets, so a plain SHA-256 is a sound verifier.
    return hashlib.sha256(secret.encode()).hexdigest()
