"""Products, batches, origin events and the signed records behind them."""
