"""The numbers: exact and float64 arithmetic, forward and backward passes, training."""
