"""franchises_for: one franchise graph per catalog, shared by every served model over it."""

import gc
import threading
import weakref

import coldkit

from animerec.recsys.catalog.catalog import Catalog
from animerec.recsys.catalog.franchise import Franchises
from animerec.recsys.serving import served


def _asked_by_threads(catalog: Catalog, n: int) -> list[Franchises]:
    got: list[Franchises] = []
    threads = [threading.Thread(target=lambda: got.append(served.franchises_for(catalog))) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return got


def test_one_graph_per_catalog_made_once_however_many_threads_ask(monkeypatch):
    made = []
    real = Franchises.load.__func__

    def counting(cls, catalog):
        made.append(id(catalog))
        return real(cls, catalog)

    monkeypatch.setattr(Franchises, "load", classmethod(counting))
    catalog = Catalog(coldkit._planted_titles())
    got = _asked_by_threads(catalog, 8)
    assert len(got) == 8 and all(g is got[0] for g in got) and made == [id(catalog)]
    assert all(got[0].work_of(a.anime_id) is not None for a in catalog)  # a graph over its titles
    # A refresh makes a new catalog: it gets its own graph, and the old one goes with its catalog.
    other = Catalog(coldkit._planted_titles())
    assert served.franchises_for(other) is not got[0] and made == [id(catalog), id(other)]
    kept = len(served._FRANCHISES)
    gone = weakref.ref(catalog)
    del catalog, got
    gc.collect()
    assert gone() is None and len(served._FRANCHISES) == kept - 1
