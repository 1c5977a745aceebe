"""Application wiring: settings, the service object and its policies."""
