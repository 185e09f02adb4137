"""Live updates across processes and hosts (SPEC T7): what a committed write announces
reaches the streams open in every server process. Ids only, never content: each stream
resolves what it shows with its own subscriber's permissions (api/live, schema/live)."""
