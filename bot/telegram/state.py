"""Bot state kept in memory and bounded: answer records for buttons, conversations."""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from bot.answers.models import Answer, Turn
from index.models import Filters

K = TypeVar("K")
V = TypeVar("V")


class LRU(Generic[K, V]):
    """A small thread-safe least-recently-used mapping with a fixed capacity."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._items: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        """The value for `key` (refreshing it), or None."""
        with self._lock:
            if key not in self._items:
                return None
            self._items.move_to_end(key)
            return self._items[key]

    def put(self, key: K, value: V) -> None:
        """Store a value, evicting the oldest entry when full."""
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.capacity:
                self._items.popitem(last=False)

    def pop(self, key: K) -> V | None:
        """Remove and return a value (None when absent)."""
        with self._lock:
            return self._items.pop(key, None)

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)


@dataclass
class AnswerRecord:
    """What the inline buttons of one answer need, kept server-side under a short id."""

    answer: Answer
    filters: Filters
    chat_id: int
    question_id: int | None
    shown: int = 0  # how many extra passages "Altri risultati" has shown so far
    voted: bool = False


@dataclass(frozen=True)
class CommentRequest:
    """A 👎 waiting for its optional 'cosa mancava?' reply."""

    feedback_id: int
    prompt_message_id: int


ChatKey = tuple[int, int | None]  # (chat id, forum topic id)


@dataclass
class BotMemory:
    """All in-memory state of one bot process (bounded, safe to lose on restart)."""

    answers: LRU[str, AnswerRecord] = field(default_factory=lambda: LRU(2000))
    turns: LRU[ChatKey, deque[Turn]] = field(default_factory=lambda: LRU(5000))
    comments: LRU[tuple[int, int], CommentRequest] = field(default_factory=lambda: LRU(2000))
    max_turns: int = 4

    def remember_answer(self, record: AnswerRecord) -> str:
        """Store an answer record; returns its short id for callback data."""
        key = secrets.token_urlsafe(6)
        self.answers.put(key, record)
        return key

    def history(self, chat: ChatKey) -> tuple[Turn, ...]:
        """The previous turns of a chat, oldest first."""
        turns = self.turns.get(chat)
        return tuple(turns) if turns else ()

    def add_turn(self, chat: ChatKey, turn: Turn) -> None:
        """Append a turn to a chat's bounded history."""
        turns = self.turns.get(chat)
        if turns is None:
            turns = deque(maxlen=self.max_turns)
            self.turns.put(chat, turns)
        turns.append(turn)

    def reset(self, chat: ChatKey) -> None:
        """Forget a chat's conversation."""
        self.turns.pop(chat)
