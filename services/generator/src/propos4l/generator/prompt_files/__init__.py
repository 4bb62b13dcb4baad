"""Prompt files, one folder per language; PROMPT_VERSION changes whenever a file changes."""
