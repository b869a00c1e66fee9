"""Search providers as adapters: the watch list's names in, requests out; response bytes in, entries out."""
