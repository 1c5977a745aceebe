"""Application wiring: settings, the service object, the application database."""
