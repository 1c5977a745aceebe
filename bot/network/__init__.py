"""The practice network: themes, passage vectors, similar practices, comparison, stats."""
