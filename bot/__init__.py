"""The Raccordo application: settings, service wiring, answers, CLI, API and Telegram bot."""
