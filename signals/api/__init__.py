"""HTTP APIs of the product: the read API (`signals.api.read.router`)."""
