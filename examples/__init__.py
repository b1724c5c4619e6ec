"""Example spec files; the built-in examples are loaded from here (shipped inside the wheel)."""
