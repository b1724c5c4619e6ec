"""Jinja templates for the Markdown and LaTeX renderers (shipped inside the wheel)."""
