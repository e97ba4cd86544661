"""Development tools: an emulated phone and helpers for demos and tests."""
