"""The library service: extracts, splits and embeds the knowledge library's documents and entries."""
