"""Exercises: sheets with blanks, answer keys, seeded variants, a checker with error carried forward, Moodle export.

A sheet and its key are the same Derivation the documents use: the key shows it whole with the
answers boxed, the sheet only the givens and a box per blank (quantities are chosen by ID or kind).
"""
