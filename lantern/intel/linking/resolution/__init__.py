"""Entity resolution: the person model (Splink for training and batch, pure Python for real time), the simpler
kinds' exact keys, clustering bound by analysts' decisions, and the batch run that writes it all."""
