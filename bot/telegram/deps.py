"""What every handler needs, injected once: settings, service, app DB, memory, limits."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.answers.models import Answer
from bot.app.appdb import AppDB
from bot.app.settings import Settings
from bot.telegram.ratelimit import Limiter, RateLimiter, SharedRateLimiter
from bot.telegram.state import BotMemory

if TYPE_CHECKING:
    from bot.app.service import Raccordo

CHANNEL = "telegram"


@dataclass
class Deps:
    """The bot's collaborators (constructor-injected into gate and handlers)."""

    settings: Settings
    service: Raccordo
    appdb: AppDB
    memory: BotMemory = field(default_factory=BotMemory)
    limiter: Limiter | None = None

    def __post_init__(self) -> None:
        if self.limiter is None and self.settings.backend == "postgresql":  # many replicas
            self.limiter = SharedRateLimiter(self.appdb, self.settings.rate_limit_questions,
                                             self.settings.rate_limit_window_s)
        elif self.limiter is None:
            self.limiter = RateLimiter(self.settings.rate_limit_questions,
                                       self.settings.rate_limit_window_s)

    def is_admin(self, user_id: int) -> bool:
        """Admins come from RACCORDO_TELEGRAM_ADMINS or the users table (role admin)."""
        return (user_id in self.settings.telegram_admins
                or self.appdb.user_role(user_id) == "admin")

    def is_allowed(self, user_id: int) -> bool:
        """Allowed users: configured ids, admins, or users added (e.g. by an invite)."""
        return (user_id in self.settings.telegram_allowed_users
                or user_id in self.settings.telegram_admins
                or self.appdb.user_role(user_id) is not None)

    def admin_ids(self) -> list[int]:
        """Every admin to notify (configured and stored), without duplicates."""
        ids = list(self.settings.telegram_admins)
        ids += [u for u in self.appdb.user_ids("admin") if u not in ids]
        return ids

    def log_answer(self, answer: Answer) -> int:
        """Log an answered question of this channel (see AppDB.log_answer)."""
        return self.appdb.log_answer(answer, CHANNEL, log_questions=self.settings.log_questions)

    def wait_before_question(self, user_id: int) -> float:
        """0 when the user may ask now, else seconds to wait (sliding window)."""
        assert self.limiter is not None
        return self.limiter.check(user_id)


def actor(user_id: int) -> str:
    """The audit-log actor name of a Telegram user."""
    return f"{CHANNEL}:{user_id}"
