"""The lesson: the data, the loss, the optimizers, training (one run, and many seeds at once)
and the experiments table. Nothing here draws or writes a file."""
