"""WSGI entry point: `gunicorn dailypapers.wsgi` (and granian's, which `serve` starts)."""

import logging
import os
import threading

# A web process does small numeric work per request ("For you" for one reader): one BLAS
# thread, set before numpy loads (a BLAS thread pool per server thread is wasted). That work
# runs on a thread of its own anyway (`dailypapers.core.numeric`): OpenBLAS overran the stack of
# granian's request threads.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

from django.core.wsgi import get_wsgi_application

from dailypapers.core import embedding

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dailypapers.settings")
application = get_wsgi_application()


def _load_the_model() -> None:
    """Load the query encoder when a web worker boots, not on its first search (1.5 s)."""
    try:
        # Here, not at the top: search.semantic imports models, which need the apps loaded
        # (get_wsgi_application() above does it).
        from dailypapers.search import semantic

        if semantic.enabled():
            embedding.Encoder.get()
    except Exception:  # never stop a worker from serving: its first search loads it instead
        logging.getLogger(__name__).exception("could not load the search model at start")


threading.Thread(target=_load_the_model, name="load-search-model", daemon=True).start()
