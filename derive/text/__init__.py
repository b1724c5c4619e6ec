"""Prose as data (messages with named placeholders) and the catalogues that give it words, one per language."""
