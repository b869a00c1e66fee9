"""Feed discovery: from a site or channel address to the feeds it publishes (issue 16).

``page`` reads addresses and pages without fetching anything (pure: links, platform rules,
"is this a feed"); ``find`` fetches through the guarded client, bounded, and ranks what it
found; ``config_file`` appends the chosen feed to the TOML config without disturbing it.
"""

from monitor.sources.discovery_page import Found

__all__ = ["Found"]
