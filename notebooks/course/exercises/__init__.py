"""The exercises at the end of each notebook: a small framework (core), a module per notebook."""
