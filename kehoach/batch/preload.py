"""Imported by the worker pool's fork server: builds what every worker needs, once.

Workers fork from the fork server (``kehoach.batch.run._pool_context``), so the
spaCy pipeline and the readers built here are theirs from the start, instead of
each worker building them again (~0.3 s each per ``kehoach ingest``).
"""

from kehoach.batch.work import warm_up

warm_up()
