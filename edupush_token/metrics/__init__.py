"""Metrics an operator can scrape: what the service records (``recorder``), the series (``series``), the text format (``exposition``).

The service and delivery layers call :data:`recorder.recorder`; a host only
exposes :func:`exposition.render` (eduMFA: ``GET /ttype/edupushplus?metrics``,
admins only) and the ``edupush-token metrics`` command writes it for
node_exporter's textfile collector.  Every series is listed in :mod:`.series`.
"""
