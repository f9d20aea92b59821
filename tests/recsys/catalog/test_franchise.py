"""The franchise graph (animerec.recsys.catalog.franchise), planted over the checkerboard's titles
(tests/recsys/conftest.py)."""


def test_franchise_graph_orders_entries_and_ignores_links_between_works(plant):
    _, f = plant()
    assert f.entries(f.franchise_of(1002)) == (1000, 1001, 1003, 1002)
    assert f.entry_point(f.franchise_of(1003)) == 1000
    assert f.franchise_of(1004) != f.franchise_of(1005)  # "Other" links two works, not one
    assert f.ancestors(1002) == {1000, 1001}
    assert f.ancestors(1003) == {1000}
    assert f.seen_earlier([1002, 1011]) == {1000, 1001, 1010}
