"""Look-ups of many ids at once: positions in an id array, and rows grouped by a key."""

import numpy as np

from animerec.recsys.ids import IdPositions, RowGroups


def test_positions_of_ids_and_of_a_members_ratings():
    positions = IdPositions(np.array([40, 10, 30]))
    np.testing.assert_array_equal(positions.of(np.array([30, 99, 40, 10])), [2, -1, 0, 1])
    idx, r = positions.known({10: 8.0, 77: 9.0, 40: -1.0})
    np.testing.assert_array_equal(idx, [1, 0])
    np.testing.assert_array_equal(r, [8.0, -1.0])


def test_row_groups_gather_every_row_of_each_key_once():
    keys = np.array([5, 3, 5, -1, 7, 3, 5])
    groups = RowGroups(keys)
    j, rows = groups.pairs(np.array([5, 9, 3]))
    # Key 5 (keys[0]) is rows 0, 2 and 6; 9 has none; 3 (keys[2]) is rows 1 and 5.
    assert sorted(zip(j.tolist(), rows.tolist())) == [(0, 0), (0, 2), (0, 6), (2, 1), (2, 5)]
    assert sorted(groups.rows(np.array([3, 3, 7])).tolist()) == [1, 4, 5]  # a repeated key counts once
    assert groups.rows(np.array([], np.int64)).tolist() == []
    # Against the membership test it replaces, over random keys.
    rng = np.random.default_rng(0)
    keys = rng.integers(-1, 40, 500)
    wanted = rng.integers(-1, 60, 25)
    np.testing.assert_array_equal(np.sort(RowGroups(keys).rows(wanted)), np.flatnonzero(np.isin(keys, wanted)))


def test_a_table_and_a_search_find_the_same_positions():
    """Ids of a dense range are read from a table, others searched: both give each id's first index."""
    rng = np.random.default_rng(1)
    dense = rng.integers(-5, 300, 200)  # repeated ids, and negative ones (a franchise id of -1: none)
    sparse = np.append(dense, 10**12)  # one id far away: no table
    asked = np.concatenate([rng.integers(-50, 400, 300), [10**12, -(10**12), 2**62]])
    first = {}
    for i, a in enumerate(dense.tolist()):
        first.setdefault(a, i)
    expected = [first.get(a, -1) for a in asked.tolist()]
    assert IdPositions(dense)._table is not None and IdPositions(sparse)._table is None
    np.testing.assert_array_equal(IdPositions(dense).of(asked), expected)
    expected[-3] = len(dense)  # 10**12 is held in the sparse array, at its end
    np.testing.assert_array_equal(IdPositions(sparse).of(asked), expected)
    assert IdPositions(np.array([], np.int64)).of(asked).tolist() == [-1] * len(asked)
