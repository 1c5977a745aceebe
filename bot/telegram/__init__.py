"""The Telegram front door: python-telegram-bot application, gatekeeper and handlers."""
